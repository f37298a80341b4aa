//! Official division codes (统计用区划代码, GB/T 2260 for counties, 9-digit townships/streets, 12-digit
//! communities/villages) for the admin areas that have none in the data, matched by name.
//!
//! The rule, in order:
//! 1. An area with a code in the data keeps it (`given`).
//! 2. Names are compared after normalising: whitespace removed, full-width brackets made half-width, and the
//!    office suffixes dropped (`…街道办事处` → `…街道`, `…社区居委会` / `…社区居民委员会` → `…社区`,
//!    `…居委会` → `…`, `…村民委员会` / `…村委会` → `…村`).
//! 3. A street matches the one 9-digit entry of its name in the city: `[admin] division_city`, else the city
//!    (first four digits) most of the uniquely named streets fall in. Several entries → `ambiguous`, none → `none`.
//! 4. A community matches the one 12-digit entry of its name under its street's code, or in the city when its
//!    street has no code.
//! 5. One code is never given to two areas: both are then `ambiguous`.

use super::error::LoadError;
use crate::model::{AdminArea, AdminLevel};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One entry of a division list.
#[derive(Debug, Clone)]
struct Entry {
    code: String,
    name: String,
}

/// How one admin area got its code, or why it has none.
#[derive(Debug, Clone, Serialize)]
pub struct CodeMatch {
    /// The area's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `street` or `community`.
    pub level: &'static str,
    /// The code it carries now.
    pub code: Option<String>,
    /// `given`, `name`, `ambiguous` or `none`.
    pub how: &'static str,
    /// The official name matched, or the candidates when ambiguous.
    pub note: String,
}

/// The outcome of matching every street and community.
#[derive(Debug, Clone, Serialize)]
pub struct DivisionMatch {
    /// The files read.
    pub files: Vec<String>,
    /// The city prefix names were matched within, and whether it was configured or inferred.
    pub city: Option<String>,
    /// Whether `city` came from `[admin] division_city`.
    pub city_configured: bool,
    /// Streets with a code / all streets.
    pub streets_coded: (usize, usize),
    /// Communities from the data with a code / all of them.
    pub communities_coded: (usize, usize),
    /// Every area, in data order.
    pub areas: Vec<CodeMatch>,
}

/// The name as compared: no whitespace, half-width brackets, no office suffix.
pub fn normalise(name: &str) -> String {
    let mut n: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .collect();
    for (suffix, keep) in [
        ("街道办事处", "街道"),
        ("社区居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居民委员会", ""),
        ("居委会", ""),
        ("村民委员会", "村"),
        ("村委会", "村"),
        ("办事处", ""),
    ] {
        if let Some(stem) = n.strip_suffix(suffix) {
            // `红星村村民委员会` and `红星村民委员会` are both the village 红星村.
            n = if keep == "村" && stem.ends_with('村') { stem.to_string() } else { format!("{stem}{keep}") };
            break;
        }
    }
    n
}

/// Reads division lists: any CSV (UTF-8 or GBK by its layer rules) with `code` and `name` columns.
fn read_lists(paths: &[std::path::PathBuf]) -> Result<Vec<Entry>, LoadError> {
    let mut out = Vec::new();
    for path in paths {
        let table = super::source::read_csv(path, &Default::default())?;
        for col in ["code", "name"] {
            if !table.has_field(col) {
                return Err(LoadError::data(
                    path,
                    None,
                    Some(col),
                    None,
                    format!("a division list needs a {col} column (it has: {})", table.available_fields()),
                ));
            }
        }
        for r in &table.records {
            let text = |k: &str| r.props.get(k).and_then(|v| v.as_str()).unwrap_or("").trim().to_string();
            let (code, name) = (text("code"), text("name"));
            if code.is_empty() && name.is_empty() {
                continue;
            }
            if !code.chars().all(|c| c.is_ascii_digit()) || ![6, 9, 12].contains(&code.len()) {
                return Err(LoadError::data(
                    path,
                    Some(r.item.clone()),
                    Some("code"),
                    Some(code),
                    "a division code has 6 (county), 9 (street/township) or 12 (community/village) digits",
                ));
            }
            out.push(Entry { code, name });
        }
    }
    Ok(out)
}

/// Gives codes to the streets and communities that have none, by the rule above; returns what matched.
pub fn assign_codes(
    areas: &mut [AdminArea],
    paths: &[std::path::PathBuf],
    configured_city: Option<&str>,
    resolve: impl Fn(&Path) -> std::path::PathBuf,
) -> Result<DivisionMatch, LoadError> {
    let resolved: Vec<std::path::PathBuf> = paths.iter().map(|p| resolve(p)).collect();
    let entries = read_lists(&resolved)?;
    let mut by_name: BTreeMap<(usize, String), Vec<&Entry>> = BTreeMap::new();
    for e in &entries {
        by_name.entry((e.code.len(), normalise(&e.name))).or_default().push(e);
    }
    let candidates = |len: usize, name: &str| by_name.get(&(len, normalise(name))).cloned().unwrap_or_default();
    let city = configured_city.map(str::to_string).or_else(|| {
        // The city most uniquely named streets fall in.
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for a in areas.iter().filter(|a| a.level == AdminLevel::Street && a.code.is_none()) {
            if let [one] = candidates(9, &a.name)[..] {
                *count.entry(&one.code[..4]).or_default() += 1;
            }
        }
        count.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(c, _)| c.to_string())
    });
    let mut rows: Vec<CodeMatch> = Vec::new();
    let pick = |a: &AdminArea, len: usize, prefix: Option<&str>| -> CodeMatch {
        let level = if len == 9 { "street" } else { "community" };
        let row = |code: Option<String>, how: &'static str, note: String| CodeMatch {
            id: a.id.clone(),
            name: a.name.clone(),
            level,
            code,
            how,
            note,
        };
        if let Some(code) = &a.code {
            return row(Some(code.clone()), "given", String::new());
        }
        let found: Vec<&Entry> =
            candidates(len, &a.name).into_iter().filter(|e| prefix.is_none_or(|p| e.code.starts_with(p))).collect();
        match found[..] {
            [one] => row(Some(one.code.clone()), "name", one.name.clone()),
            [] => row(None, "none", String::new()),
            ref many => row(
                None,
                "ambiguous",
                many.iter().map(|e| format!("{} {}", e.code, e.name)).collect::<Vec<_>>().join("; "),
            ),
        }
    };
    let mut street_code: BTreeMap<String, Option<String>> = BTreeMap::new();
    for a in areas.iter().filter(|a| a.level == AdminLevel::Street) {
        let m = pick(a, 9, city.as_deref());
        street_code.insert(a.id.clone(), m.code.clone());
        rows.push(m);
    }
    for a in areas.iter().filter(|a| a.level == AdminLevel::Community) {
        let parent = a.parent_area.and_then(|p| street_code.get(&areas[p].id).cloned().flatten());
        let prefix = parent.as_deref().or(city.as_deref());
        rows.push(pick(a, 12, prefix));
    }
    // One code, one area.
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.how == "name") {
        *uses.entry(r.code.clone().unwrap_or_default()).or_default() += 1;
    }
    for r in rows.iter_mut().filter(|r| r.how == "name") {
        let code = r.code.clone().unwrap_or_default();
        if uses[&code] > 1 {
            r.note = format!("{code} {}: the same official entry matches {} areas", r.note, uses[&code]);
            r.code = None;
            r.how = "ambiguous";
        }
    }
    for r in rows.iter().filter(|r| r.how == "name") {
        if let Some(a) = areas.iter_mut().find(|a| a.id == r.id) {
            a.code = r.code.clone();
        }
    }
    let coded = |level: &str| {
        let of: Vec<&CodeMatch> = rows.iter().filter(|r| r.level == level).collect();
        (of.iter().filter(|r| r.code.is_some()).count(), of.len())
    };
    Ok(DivisionMatch {
        files: paths.iter().map(|p| p.display().to_string()).collect(),
        city,
        city_configured: configured_city.is_some(),
        streets_coded: coded("street"),
        communities_coded: coded("community"),
        areas: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_suffixes_and_brackets_do_not_stop_a_match() {
        assert_eq!(normalise("保健路街道办事处"), "保健路街道");
        assert_eq!(normalise("兆麟社区居委会"), "兆麟社区");
        assert_eq!(normalise("兆麟社区居民委员会"), "兆麟社区");
        assert_eq!(normalise(" 新华（东）街道 "), "新华(东)街道");
        assert_eq!(normalise("红星村村民委员会"), "红星村");
        assert_eq!(normalise("红星村民委员会"), "红星村");
        assert_eq!(normalise("爱建街道"), "爱建街道");
    }

    fn area(id: &str, name: &str, level: AdminLevel, parent: Option<usize>, code: Option<&str>) -> AdminArea {
        AdminArea {
            id: id.into(),
            code: code.map(str::to_string),
            name: name.into(),
            level,
            parent: None,
            parent_area: parent,
            polygon: geo::MultiPolygon::new(vec![]),
        }
    }

    #[test]
    fn names_match_within_the_city_once_each() {
        let dir = tempfile::tempdir().expect("tempdir");
        let list = dir.path().join("d.csv");
        std::fs::write(
            &list,
            "\u{feff}code,name\n230102001,兆麟街道\n230102002,新华街道\n230902002,新华街道\n230103001,花园街道\n\
             230102001001,兆麟社区居委会\n230102001002,索菲亚社区居委会\n230102002001,兆麟社区居委会\n\
             230103001001,甲社区居委会\n230103001002,甲社区居委会\n",
        )
        .expect("write");
        let mut areas = vec![
            area("s1", "兆麟街道办事处", AdminLevel::Street, None, None),
            area("s2", "新华街道", AdminLevel::Street, None, None),
            area("s3", "无名街道", AdminLevel::Street, None, None),
            area("s4", "花园街道", AdminLevel::Street, None, Some("X1")),
            area("c1", "兆麟社区", AdminLevel::Community, Some(0), None),
            area("c2", "索菲亚社区", AdminLevel::Community, Some(0), None),
            area("c3", "兆麟社区", AdminLevel::Community, Some(1), None),
            area("c4", "甲社区", AdminLevel::Community, Some(2), None),
        ];
        let m = assign_codes(&mut areas, &[list], None, |p| p.to_path_buf()).expect("match");
        let code = |i: usize| areas[i].code.as_deref();
        assert_eq!(m.city.as_deref(), Some("2301"), "the city of the uniquely named streets");
        assert_eq!(code(0), Some("230102001"), "office suffix dropped");
        assert_eq!(code(1), Some("230102002"), "新华街道 of the other city is not a candidate");
        assert_eq!(code(2), None, "no such name");
        assert_eq!(code(3), Some("X1"), "a code in the data is kept");
        assert_eq!(code(4), Some("230102001001"), "community under its street's code");
        assert_eq!(code(5), Some("230102001002"));
        assert_eq!(code(6), Some("230102002001"), "same name under another street: that street's entry");
        assert_eq!(code(7), None, "two entries of the name in the city: ambiguous");
        assert_eq!(m.areas[7].how, "ambiguous");
        assert_eq!(m.streets_coded, (3, 4));
        assert_eq!(m.communities_coded, (3, 4));
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "code,name\n2301,哈尔滨\n").expect("write");
        let e = assign_codes(&mut areas, &[bad], None, |p| p.to_path_buf()).expect_err("4 digits").to_string();
        assert!(e.contains("bad.csv") && e.contains("12 (community/village) digits"), "{e}");
    }
}
