//! The one table that maps OpenStreetMap tags to gridplan's kinds: facility kinds, special-unit kinds,
//! walkable highway classes and barrier classes. Documented in README ("OSM tag table"); change it here only.
//!
//! Chinese names refine what OSM tags cannot say: `amenity=school` named …小学 is a primary school, …中学 a
//! middle school; a `community_centre` named …党群服务中心 is a party-mass service centre.

/// Tags of one element, looked up by key.
pub trait Tags {
    /// The value of `key`, if set.
    fn tag(&self, key: &str) -> Option<&str>;
    /// The name, preferring `name:zh`.
    fn name(&self) -> Option<&str> {
        self.tag("name:zh").or_else(|| self.tag("name"))
    }
}

impl Tags for [(String, String)] {
    fn tag(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

fn name_has(tags: &(impl Tags + ?Sized), words: &[&str]) -> bool {
    tags.name().is_some_and(|n| words.iter().any(|w| n.contains(w)))
}

/// Every facility kind the tag table gives (a plan may name others, if its facilities layer has them).
pub const FACILITY_KINDS: &[&str] = &[
    "party_service_centre",
    "service_station",
    "primary_school",
    "middle_school",
    "school",
    "kindergarten",
    "hospital",
    "clinic",
    "community_health_centre",
    "pharmacy",
    "elderly_care",
    "elderly_day_care",
    "market",
    "shop",
    "park",
    "sports_ground",
    "culture",
    "higher_education",
    "safety",
];

/// The Chinese name of a facility kind, for maps and reports (the kind itself where none is known).
pub fn kind_label_zh(kind: &str) -> &str {
    match kind {
        "party_service_centre" => "党群服务中心",
        "service_station" => "社区服务站",
        "primary_school" => "小学",
        "middle_school" => "中学",
        "school" => "学校",
        "kindergarten" => "幼儿园",
        "hospital" => "医院",
        "clinic" => "诊所",
        "community_health_centre" => "社区卫生服务中心",
        "pharmacy" => "药店",
        "elderly_care" => "养老院",
        "elderly_day_care" => "日间照料中心",
        "market" => "菜市场与超市",
        "shop" => "便利店",
        "park" => "公园与游园",
        "sports_ground" => "体育场地",
        "culture" => "文化活动中心",
        "higher_education" => "高等院校",
        "safety" => "公安与消防",
        other => other,
    }
}

/// The kind a Chinese name stands for ([`kind_label_zh`] read back); a kind with no Chinese name is its own.
pub fn kind_of_label_zh(label: &str) -> Option<&str> {
    FACILITY_KINDS.iter().copied().find(|k| kind_label_zh(k) == label).or(Some(label).filter(|l| l.is_ascii()))
}

/// The facility kind of an element (for coverage), or `None`.
///
/// | tags | kind |
/// |---|---|
/// | `amenity=community_centre`/`social_centre`, `office=government` named …党群服务中心/…服务中心 | `party_service_centre` (街道/社区党群服务中心) or `service_station` (named …服务站/居委会, or unnamed) |
/// | `amenity=school` (name …小学 / `isced:level=1`) | `primary_school` |
/// | `amenity=school` (name …中学/初中/高中 / `isced:level=2,3`) | `middle_school` |
/// | `amenity=school` otherwise | `school` |
/// | `amenity=kindergarten`/`childcare` | `kindergarten` |
/// | `amenity=hospital` | `hospital` |
/// | `amenity=clinic`/`doctors`, `healthcare=clinic`/`centre`/`doctor` (named …社区卫生服务中心 → `community_health_centre`) | `clinic` |
/// | `amenity=pharmacy`, `healthcare=pharmacy` | `pharmacy` |
/// | `amenity=nursing_home`, `social_facility=nursing_home`/`assisted_living` | `elderly_care` |
/// | `amenity=social_facility` for seniors (day care, 日间照料) | `elderly_day_care` |
/// | `amenity=marketplace`, `shop=supermarket`/`greengrocer`/`mall`/`department_store`/`butcher` | `market` |
/// | `shop=convenience`/`general`/`bakery` | `shop` |
/// | `leisure=park`/`garden`/`playground` | `park` |
/// | `leisure=pitch`/`sports_centre`/`stadium`/`fitness_station`/`track`/`fitness_centre` | `sports_ground` |
/// | `amenity=library`/`arts_centre`/`theatre`/`cinema`, `tourism=museum` | `culture` |
/// | `amenity=university`/`college` | `higher_education` |
/// | `amenity=police`/`fire_station` | `safety` |
pub fn facility_kind(tags: &(impl Tags + ?Sized)) -> Option<&'static str> {
    let amenity = tags.tag("amenity");
    let healthcare = tags.tag("healthcare");
    let social = tags.tag("social_facility");
    if matches!(amenity, Some("community_centre" | "social_centre")) || tags.tag("office") == Some("government") {
        if name_has(tags, &["党群服务中心", "服务中心", "便民服务中心"]) {
            return Some("party_service_centre");
        }
        if name_has(tags, &["服务站", "居委会", "居民委员会"]) || amenity.is_some() {
            return Some("service_station");
        }
    }
    match amenity {
        Some("school") => {
            let isced = tags.tag("isced:level").unwrap_or_default();
            return Some(if name_has(tags, &["小学"]) || isced == "1" {
                "primary_school"
            } else if name_has(tags, &["中学", "初中", "高中", "中学校"])
                || isced.starts_with('2')
                || isced.starts_with('3')
            {
                "middle_school"
            } else {
                "school"
            });
        }
        Some("kindergarten" | "childcare") => return Some("kindergarten"),
        Some("hospital") => return Some("hospital"),
        Some("clinic" | "doctors") => {
            return Some(if name_has(tags, &["社区卫生服务中心"]) {
                "community_health_centre"
            } else {
                "clinic"
            });
        }
        Some("pharmacy") => return Some("pharmacy"),
        Some("nursing_home") => return Some("elderly_care"),
        Some("social_facility") => {
            return Some(if name_has(tags, &["日间照料", "日间"]) { "elderly_day_care" } else { "elderly_care" });
        }
        Some("marketplace") => return Some("market"),
        Some("library" | "arts_centre" | "theatre" | "cinema") => return Some("culture"),
        Some("university" | "college") => return Some("higher_education"),
        Some("police" | "fire_station") => return Some("safety"),
        _ => {}
    }
    match healthcare {
        Some("clinic" | "centre" | "doctor") => {
            return Some(if name_has(tags, &["社区卫生服务中心"]) {
                "community_health_centre"
            } else {
                "clinic"
            });
        }
        Some("pharmacy") => return Some("pharmacy"),
        _ => {}
    }
    if matches!(social, Some("nursing_home" | "assisted_living")) {
        return Some("elderly_care");
    }
    match tags.tag("shop") {
        Some("supermarket" | "greengrocer" | "mall" | "department_store" | "butcher") => {
            return Some("market");
        }
        Some("convenience" | "general" | "bakery") => return Some("shop"),
        _ => {}
    }
    match tags.tag("leisure") {
        Some("park" | "garden" | "playground") => return Some("park"),
        Some("pitch" | "sports_centre" | "stadium" | "fitness_station" | "track" | "fitness_centre") => {
            return Some("sports_ground");
        }
        _ => {}
    }
    if tags.tag("tourism") == Some("museum") {
        return Some("culture");
    }
    None
}

/// The special-unit kind of an area or node (a dedicated-grid candidate), or `None`.
///
/// | tags | kind |
/// |---|---|
/// | `amenity=school`/`kindergarten`, `building=school`/`kindergarten` | `school` |
/// | `amenity=university`/`college`, `building=university`/`college` | `university` |
/// | `amenity=hospital`, `building=hospital` | `hospital` |
/// | `landuse=industrial`, `building=industrial`/`warehouse`/`factory`, `man_made=works` | `industrial` |
/// | `office=government`, `amenity=townhall`/`police`/`courthouse`/`fire_station`, `building=government`/`public`/`civic` | `agency` |
/// | `office=company`, `building=office`/`commercial`, `landuse=commercial` | `enterprise` |
/// | `amenity=marketplace`, `shop=mall`/`supermarket`/`department_store`, `building=retail` | `market` |
/// | `leisure=park` (areas only) | `park` |
pub fn special_unit_kind(tags: &(impl Tags + ?Sized), is_area: bool) -> Option<&'static str> {
    match tags.tag("amenity") {
        Some("school" | "kindergarten") => return Some("school"),
        Some("university" | "college") => return Some("university"),
        Some("hospital") => return Some("hospital"),
        Some("townhall" | "police" | "courthouse" | "fire_station") => return Some("agency"),
        Some("marketplace") => return Some("market"),
        _ => {}
    }
    if tags.tag("office") == Some("government") {
        return Some("agency");
    }
    if matches!(tags.tag("shop"), Some("mall" | "supermarket" | "department_store")) {
        return Some("market");
    }
    match tags.tag("landuse") {
        Some("industrial") => return Some("industrial"),
        Some("commercial") => return Some("enterprise"),
        _ => {}
    }
    if tags.tag("man_made") == Some("works") {
        return Some("industrial");
    }
    if tags.tag("office") == Some("company") {
        return Some("enterprise");
    }
    if let Some(kind) = tags.tag("building").and_then(special_building_kind) {
        return Some(kind);
    }
    if is_area && tags.tag("leisure") == Some("park") {
        return Some("park");
    }
    None
}

/// The special-unit kind implied by a `building=*` value alone.
pub fn special_building_kind(building: &str) -> Option<&'static str> {
    match building {
        "school" | "kindergarten" => Some("school"),
        "university" | "college" => Some("university"),
        "hospital" => Some("hospital"),
        "industrial" | "warehouse" | "factory" => Some("industrial"),
        "government" | "public" | "civic" => Some("agency"),
        "office" | "commercial" => Some("enterprise"),
        "retail" => Some("market"),
        _ => None,
    }
}

/// Walkable highway classes that are streets, the default lines grid outlines follow (`[outlines]
/// road_classes`): not footways, paths, steps, cycleways, tracks or service roads.
pub const STREET_HIGHWAYS: &[&str] = &[
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "pedestrian",
    "road",
];

/// The other highway classes people walk on: with the streets above, the walk network. Motorways,
/// construction, proposed roads and raceways are not walkable; trunk roads are (Chinese urban trunk roads have
/// pavements).
pub const OTHER_WALKABLE_HIGHWAYS: &[&str] =
    &["service", "footway", "path", "steps", "track", "cycleway", "corridor", "bridleway"];

/// Whether a highway way is in the walk network: a walkable class (plaza outlines included), and not `foot=no`/`private`,
/// nor `access=no`/`private` unless `foot` allows it.
pub fn is_walkable(tags: &(impl Tags + ?Sized)) -> bool {
    let Some(highway) = tags.tag("highway") else {
        return false;
    };
    // Pedestrian areas (`area=yes` plazas) stay in: their outline is walked, and it joins the paths that
    // touch it by shared nodes.
    if !STREET_HIGHWAYS.contains(&highway) && !OTHER_WALKABLE_HIGHWAYS.contains(&highway) {
        return false;
    }
    match tags.tag("foot") {
        Some("no" | "private" | "use_sidepath") => false,
        Some("yes" | "designated" | "permissive" | "destination") => true,
        _ => !matches!(tags.tag("access"), Some("no" | "private")),
    }
}

/// Longest grade-separated piece (bridge or tunnel) that still counts as a barrier, m: a short bridge over a
/// stream or a culvert leaves no gap in its road's or river's barrier.
pub const GRADE_SEPARATED_BARRIER_MAX_M: f64 = 50.0;

/// Whether people cross a line at ground level although it is a road, railway or waterway: a piece on a
/// bridge or viaduct (`bridge=*`) or in a tunnel or culvert (`tunnel=*`, `covered=yes`) longer than
/// [`GRADE_SEPARATED_BARRIER_MAX_M`] — one walks under an elevated road as over a tunnel. Bridges and tunnels
/// are treated alike; shorter ones keep the class of the way.
pub fn crossed_at_grade(tags: &(impl Tags + ?Sized), length_m: f64) -> bool {
    let separated = matches!(tags.tag("bridge"), Some(b) if b != "no")
        || matches!(tags.tag("tunnel"), Some(t) if t != "no")
        || tags.tag("covered") == Some("yes");
    separated && length_m > GRADE_SEPARATED_BARRIER_MAX_M
}

/// The barrier class of a line, or `None`: major roads by their class (links count as their road), rivers
/// and canals (`waterway=*`), railways (`rail`, `light_rail`, `narrow_gauge` → `rail`). Long bridges and
/// tunnels are not barriers ([`crossed_at_grade`]). Which classes are hard is the plan's choice
/// (`[barriers] classes`); import writes all of these.
pub fn barrier_class(tags: &(impl Tags + ?Sized)) -> Option<&'static str> {
    if let Some(h) = tags.tag("highway") {
        return match h {
            "motorway" | "motorway_link" => Some("motorway"),
            "trunk" | "trunk_link" => Some("trunk"),
            "primary" | "primary_link" => Some("primary"),
            "secondary" | "secondary_link" => Some("secondary"),
            "tertiary" | "tertiary_link" => Some("tertiary"),
            _ => None,
        };
    }
    if let Some(w) = tags.tag("waterway") {
        return match w {
            "river" => Some("river"),
            "canal" => Some("canal"),
            "stream" => Some("stream"),
            _ => None,
        };
    }
    match tags.tag("railway") {
        Some("rail" | "light_rail" | "narrow_gauge") => Some("rail"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn long_bridges_and_tunnels_are_crossed_at_grade_alike() {
        for structure in [("bridge", "viaduct"), ("bridge", "yes"), ("tunnel", "yes"), ("tunnel", "culvert")] {
            let tags = t(&[("highway", "trunk"), structure]);
            assert_eq!(barrier_class(&tags[..]), Some("trunk"));
            assert!(crossed_at_grade(&tags[..], 400.0), "{structure:?}");
            assert!(!crossed_at_grade(&tags[..], 20.0), "a short {structure:?} leaves no gap");
        }
        assert!(!crossed_at_grade(&t(&[("highway", "trunk"), ("bridge", "no")])[..], 400.0));
    }

    #[test]
    fn chinese_names_refine_kinds() {
        assert_eq!(
            facility_kind(&t(&[("amenity", "school"), ("name", "哈尔滨市第三中学")])[..]),
            Some("middle_school")
        );
        assert_eq!(facility_kind(&t(&[("amenity", "school"), ("name", "兆麟小学")])[..]), Some("primary_school"));
        assert_eq!(facility_kind(&t(&[("amenity", "school")])[..]), Some("school"));
        assert_eq!(
            facility_kind(&t(&[("amenity", "community_centre"), ("name", "新阳路街道党群服务中心")])[..]),
            Some("party_service_centre")
        );
        assert_eq!(facility_kind(&t(&[("leisure", "pitch")])[..]), Some("sports_ground"));
        assert_eq!(facility_kind(&t(&[("amenity", "parking")])[..]), None);
    }

    #[test]
    fn walkability_and_barriers() {
        assert!(is_walkable(&t(&[("highway", "trunk")])[..]));
        assert!(!is_walkable(&t(&[("highway", "motorway")])[..]));
        assert!(!is_walkable(&t(&[("highway", "service"), ("access", "private")])[..]));
        assert!(is_walkable(&t(&[("highway", "service"), ("access", "private"), ("foot", "yes")])[..]));
        assert!(!is_walkable(&t(&[("highway", "footway"), ("foot", "no")])[..]));
        assert_eq!(barrier_class(&t(&[("highway", "trunk_link")])[..]), Some("trunk"));
        assert!(crossed_at_grade(&t(&[("highway", "primary"), ("tunnel", "yes")])[..], 120.0));
        assert_eq!(barrier_class(&t(&[("waterway", "river")])[..]), Some("river"));
        assert_eq!(barrier_class(&t(&[("railway", "subway")])[..]), None);
    }

    #[test]
    fn special_units() {
        assert_eq!(special_unit_kind(&t(&[("landuse", "industrial")])[..], true), Some("industrial"));
        assert_eq!(special_unit_kind(&t(&[("building", "university")])[..], true), Some("university"));
        assert_eq!(special_unit_kind(&t(&[("leisure", "park")])[..], false), None);
        assert_eq!(special_unit_kind(&t(&[("building", "apartments")])[..], true), None);
    }
}
