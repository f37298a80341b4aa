//! The column names of the CSV tables planners open: Chinese by default, the English keys with
//! `[plan] csv_headers = "en"` (what scripts and the Parquet files use). Shared by the writers in `render` and
//! the readers in `load`, which read gridplan's own tables back under either name ([`key_of`]).

use crate::config::CsvHeaders;
use std::borrow::Cow;

/// Each key and its Chinese column name.
const LABELS: &[(&str, &str)] = &[
    ("id", "单元编号"),
    ("kind", "类型"),
    ("households", "户数"),
    ("grid_id", "网格编号"),
    ("community", "社区"),
    ("street", "街道"),
    ("micro_grid", "微网格编号"),
    ("reason", "原因"),
    ("code", "网格代码"),
    ("unit_kind", "单位类型"),
    ("persons", "人口"),
    ("elderly", "老年人"),
    ("buildings", "楼栋数"),
    ("area_m2", "面积_平方米"),
    ("workers", "网格员"),
    ("micro_grids", "微网格数"),
    ("micro_grids_out_of_band", "规模外微网格数"),
    ("households_per_worker", "每名网格员户数"),
    ("status", "工作量状态"),
    ("in_band", "户数在标准内"),
    ("level", "层级"),
    ("area", "区域"),
    ("grids", "网格数"),
    ("min", "最少户数"),
    ("median", "中位户数"),
    ("max", "最多户数"),
    ("cv", "变异系数"),
    ("gini", "基尼系数"),
    ("share_in_band", "在标准内比例"),
    ("yellow", "黄色网格"),
    ("red", "红色网格"),
    ("threshold_m", "服务圈距离_米"),
    ("area_id", "区域编号"),
    ("area_name", "区域名称"),
    ("households_covered", "覆盖户数"),
    ("share_covered", "覆盖比例"),
    ("persons_covered", "覆盖人口"),
    ("households_fallback", "直线估算户数"),
    ("rank", "序号"),
    ("candidate_id", "候选点编号"),
    ("name", "名称"),
    ("lon", "经度"),
    ("lat", "纬度"),
    ("households_gained", "新增覆盖户数"),
    ("sites_gained", "新增覆盖单元数"),
    ("households_uncovered_before", "此前未覆盖户数"),
    ("households_uncoverable", "无法覆盖户数"),
];

/// The prefix of a per-kind coverage column (`covered_park`) and its Chinese ending (`公园与游园覆盖率`).
const COVERED: (&str, &str) = ("covered_", "覆盖率");

/// The Chinese name of a column key (the key itself when it has none).
pub fn zh(key: &str) -> Cow<'_, str> {
    if let Some(kind) = key.strip_prefix(COVERED.0) {
        return format!("{}{}", crate::osm_tags::kind_label_zh(kind), COVERED.1).into();
    }
    LABELS.iter().find(|(k, _)| *k == key).map_or(Cow::Borrowed(key), |(_, z)| Cow::Borrowed(*z))
}

/// The key of a column name in either language.
pub fn key_of(name: &str) -> Cow<'_, str> {
    if let Some((k, _)) = LABELS.iter().find(|(_, z)| *z == name) {
        return Cow::Borrowed(*k);
    }
    if let Some(label) = name.strip_suffix(COVERED.1)
        && let Some(kind) = crate::osm_tags::kind_of_label_zh(label)
    {
        return format!("{}{kind}", COVERED.0).into();
    }
    Cow::Borrowed(name)
}

/// A column name in the chosen language.
pub fn name(key: &str, lang: CsvHeaders) -> Cow<'_, str> {
    match lang {
        CsvHeaders::Zh => zh(key),
        CsvHeaders::En => Cow::Borrowed(key),
    }
}

/// A header line: a BOM, then the names of `keys` in the chosen language.
pub fn line(keys: &[&str], lang: CsvHeaders) -> String {
    let names: Vec<String> = keys.iter().map(|k| crate::render::csv_field(&name(k, lang))).collect();
    format!("\u{feff}{}", names.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_to_its_key() {
        for (k, z) in LABELS {
            assert_eq!(key_of(z), *k);
            assert_eq!(zh(k), *z);
        }
        let mut names: Vec<&str> = LABELS.iter().map(|l| l.1).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), LABELS.len(), "no two keys share a Chinese name");
        assert_eq!(zh("covered_park"), "公园与游园覆盖率");
        assert_eq!(key_of("公园与游园覆盖率"), "covered_park");
        assert_eq!(key_of("something_else"), "something_else");
    }
}
