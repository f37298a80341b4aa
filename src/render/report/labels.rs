//! The words the report uses for the run's keys: `check.json` keys in plain Chinese with what a good value is,
//! workload status as 绿/黄/红, and the Chinese half of gridplan's bilingual reasons.

/// A `check.json` key in plain Chinese, and whether 0 is the value to expect (a rule that holds).
pub fn check_label(key: &str) -> (&'static str, bool) {
    match key {
        "barrier_crossings" => ("网格内跨越主干道、河流、铁路的楼栋连接（条）", true),
        "boundary_interior_km" => ("网格之间的边界总长（公里）", false),
        "boundary_on_roads_share" => ("边界沿道路、河流、铁路或围墙的比例", false),
        "buildings_across_street_boundary" => ("跨街道边界的楼栋", false),
        "buildings_cut_by_outline" => ("被网格边界切开的楼栋", true),
        "compounds_drawn_in_two_grids" => ("边界上分属两个网格的小区", false),
        "compounds_split" => ("拆分到多个网格的小区", false),
        "compounds_split_listed" => ("已说明原因的拆分小区", false),
        "discontiguous_grids" => ("不连片的网格", true),
        "grid_total_mismatches" => ("户数合计与楼栋不符的网格", true),
        "grids" => ("基础网格数", false),
        "grids_in_band" => ("户数在标准内的网格", false),
        "grids_out_of_band" => ("户数不在标准内的网格", false),
        "grids_out_of_band_unexplained" => ("不在标准内且未说明原因的网格", true),
        "households_assigned" => ("已划入网格的户数", false),
        "households_in" => ("数据中的总户数", false),
        "households_unassigned" => ("未划入网格的户数（原因见上）", false),
        "micro_invalid" => ("轮廓无效的微网格", true),
        "micro_not_nested" => ("超出所属网格的微网格", true),
        "micro_overlap_m2" => ("微网格相互重叠面积（平方米）", true),
        "nesting_violations" => ("违反街道—社区—网格逐级嵌套的网格", true),
        "outline_barrier_crossings" => ("边界跨越主干道、河流、铁路的基础网格", true),
        "outline_barrier_crossings_dedicated" => ("边界跨越主干道、河流、铁路的专属网格（单位院落本身跨越）", false),
        "outline_beyond_barrier_m2" => ("可以避免的越过主干道、河流的面积（平方米）", true),
        "outline_beyond_barrier_unavoidable_m2" => {
            ("无法避免的越过主干道、河流的面积（平方米，如楼栋本身跨越）", false)
        }
        "outline_empty" => ("没有轮廓的网格", true),
        "outline_gap_m2" => ("网格之间的缝隙面积（平方米）", false),
        "outline_invalid" => ("轮廓无效的网格", true),
        "outline_overlap_m2" => ("网格相互重叠面积（平方米）", true),
        "outline_sites_beyond_barrier" => ("与所属网格隔着主干道、河流的楼栋", false),
        "sites_in_no_grid" => ("街道内未归入任何网格的楼栋或住户点", true),
        "sites_in_two_grids" => ("同时归入两个网格的楼栋或住户点", true),
        _ => ("", false),
    }
}

/// The Chinese name of a dedicated grid's unit kind (专属网格的单位类型), the kind itself when unknown.
pub fn unit_kind_zh(kind: &str) -> &str {
    match kind {
        "school" => "学校",
        "hospital" => "医院",
        "university" => "高校",
        "industrial" => "工业园区",
        "agency" => "机关单位",
        "enterprise" => "企业",
        "market" => "市场",
        "park" => "公园",
        other => crate::osm_tags::kind_label_zh(other),
    }
}

/// 绿 / 黄 / 红 for a workload status key.
pub fn status_zh(status: &str) -> &'static str {
    match status {
        "green" => "绿",
        "yellow" => "黄",
        "red" => "红",
        _ => "—",
    }
}

/// The Chinese half of a bilingual reason (`中文 / English`), or the text itself when it has none.
pub fn chinese(text: &str) -> &str {
    match text.split_once(" / ") {
        Some((zh, _)) if !zh.is_ascii() => zh,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_key_has_chinese_words() {
        let mut v = serde_json::to_value(crate::partition::check::Check::default()).expect("json");
        let outline = serde_json::to_value(crate::outline::check::OutlineCheck::default()).expect("json");
        v.as_object_mut().expect("object").extend(outline.as_object().expect("object").clone());
        for key in v.as_object().expect("object").keys() {
            assert!(!check_label(key).0.is_empty(), "no Chinese label for check key {key}");
        }
    }

    #[test]
    fn unit_kinds_in_chinese() {
        for k in ["school", "hospital", "university", "industrial", "agency", "enterprise", "market", "park"] {
            assert!(!unit_kind_zh(k).is_ascii(), "{k}");
        }
    }

    #[test]
    fn the_chinese_half_of_a_reason() {
        assert_eq!(chinese("不在任何街道范围内 / outside every street"), "不在任何街道范围内");
        assert_eq!(chinese("a / b"), "a / b");
        assert_eq!(chinese("仅12户"), "仅12户");
    }
}
