//! Writes a ready-to-edit `plan.toml`: every layer the importer wrote, and every parameter with its value
//! and a comment saying what it means, so a planner can change them without reading the code.

use crate::config::PlanConfig;
use crate::model::LayerName;
use std::fmt::Write as _;

/// A TOML string literal (TOML's escapes, not Rust's: a control character in a name must still load).
fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML array of strings.
fn list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| string(s)).collect();
    format!("[{}]", items.join(", "))
}

/// A TOML float (`1e300` stays a float, not 301 digits that would overflow an integer).
fn num(x: f64) -> String {
    toml::Value::Float(x).to_string()
}

/// A TOML key: bare when it can be, quoted otherwise.
fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        k.to_string()
    } else {
        string(k)
    }
}

/// The text of a plan file whose layers are `layers` (name, file relative to the plan), with `config`'s
/// parameters written out.
pub fn plan_toml(header: &str, layers: &[(LayerName, String)], config: &PlanConfig) -> String {
    let mut s = String::new();
    for line in header.lines() {
        // TOML comments may hold no control character but tab.
        let line: String = line.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect();
        let _ = writeln!(s, "# {line}");
    }
    let p = &config.plan;
    let _ = write!(
        s,
        r#"
[plan]
name = {name}
crs = "{crs}"                # CRS of every layer without its own: wgs84 | cgcs2000 | gcj02 | bd09
output_crs = "{out}"         # CRS of written outputs
seed = {seed}                   # seed of every randomised step (same seed, same plan)
allow_outside_paths = {outside}   # may layer paths lead outside this folder (../…, /…)?
max_decompressed_mib = {mib}     # largest size a gzip layer may unpack to
csv_headers = "{headers}"           # CSV column names: zh (网格编号, 户数, …) | en (grid_id, households, …: for scripts)
"#,
        name = string(&p.name),
        crs = p.crs,
        out = p.output_crs,
        seed = p.seed,
        outside = p.allow_outside_paths,
        mib = p.max_decompressed_mib,
        headers = match p.csv_headers {
            crate::config::CsvHeaders::Zh => "zh",
            crate::config::CsvHeaders::En => "en",
        },
    );
    for (layer, file) in layers {
        let _ = write!(s, "\n[layers.{}]\npath = {}\n", layer.key(), string(file));
        let hint = match layer {
            LayerName::Buildings => {
                "# fields: id, households (registered; empty → estimated), persons, elderly, levels, height, kind, name, compound, footprint_m2, lon/lat"
            }
            LayerName::Households => "# fields: id, households (default 1), persons, elderly, building, lon/lat",
            LayerName::Compounds => "# fields: id, name",
            LayerName::AdminAreas => "# fields: id, code, name, level (street/街道/8 | community/社区/10), parent",
            LayerName::Facilities => "# fields: id, kind, name, capacity, lon/lat",
            LayerName::SpecialUnits => {
                "# fields: id, kind (school, hospital, university, industrial, agency, enterprise, market, park), name, staff"
            }
            LayerName::Barriers => {
                "# fields: id, class (trunk, primary, secondary, tertiary, river, canal, rail, …), name"
            }
            LayerName::WalkNetwork => {
                "# fields: id, class, node_ids (shared node ids join ways; else coincident vertices)"
            }
            LayerName::Registers => "# fields: area (code or name of a street/community), households",
            LayerName::Candidates => "# fields: id, kind (empty: a candidate for every kind), name, lon/lat",
        };
        let _ = writeln!(s, "{hint}");
        let _ =
            writeln!(s, "# [layers.{}.fields] maps them to your column names, e.g. households = \"户数\"", layer.key());
    }
    let e = &config.estimate;
    let _ = write!(
        s,
        r#"
# Households of buildings with no register: footprint × levels × dwelling_share ÷ flat_area_m2.
[estimate]
flat_area_m2 = {flat}             # gross floor area per dwelling, m²
dwelling_share = {share}          # share of floor area that is dwellings
default_levels = {levels}            # levels when neither levels nor height is known (the city's typical stock)
storey_height_m = {storey}           # levels = height ÷ this
persons_per_household = {pph}
residential_kinds = {res}
residential_in_compound_kinds = {rin}   # residential only inside a compound (小区)
single_household_kinds = {single}
untagged_by_neighbours = {unb}   # untagged buildings outside compounds residential by footprint and neighbours
untagged_min_m2 = {umin}
untagged_max_m2 = {umax}
untagged_radius_m = {urad}
"#,
        flat = num(e.flat_area_m2),
        share = num(e.dwelling_share),
        levels = num(e.default_levels),
        storey = num(e.storey_height_m),
        pph = num(e.persons_per_household),
        res = list(&e.residential_kinds),
        rin = list(&e.residential_in_compound_kinds),
        single = list(&e.single_household_kinds),
        unb = e.untagged_by_neighbours,
        umin = num(e.untagged_min_m2),
        umax = num(e.untagged_max_m2),
        urad = num(e.untagged_radius_m),
    );
    let b = &config.bands;
    let _ = write!(
        s,
        r#"
# Household bands per level.
[bands]
basic = {{ min = {bmin}, max = {bmax} }}          # 基础网格
community = {{ min = {cmin}, max = {cmax} }}   # communities built from compounds when none are given (5-minute life circle)

# Admin levels: numbers (OSM admin_level) of the admin_areas layer that are streets, communities and districts
# (the words street/街道, community/社区, district/区 always are); the name of communities built from compounds
# ({{street}} and {{n}} are replaced; unset: {{street}}第{{n}}社区 for Chinese names, else {{street}} – community {{n}}).
[admin]
street_levels = {street_levels}
community_levels = {community_levels}
district_levels = {district_levels}
{community_name}# Official division lists (CSV with code and name, e.g. the NBS 统计用区划代码): streets and communities without
# a code take the code of the one entry of their name within the city; division_city fixes the city's prefix.
{division_codes}
# Barrier classes no grid may cross (classes of the barriers layer).
[barriers]
classes = {classes}
"#,
        bmin = b.basic.min(),
        bmax = b.basic.max(),
        cmin = b.community.min(),
        cmax = b.community.max(),
        classes = list(&config.barriers.classes),
        street_levels = list(&config.admin.street_levels),
        community_levels = list(&config.admin.community_levels),
        district_levels = list(&config.admin.district_levels),
        community_name = match &config.admin.community_name {
            Some(n) => format!("community_name = {}\n", string(n)),
            None => "# community_name = \"{street}第{n}社区\"\n".to_string(),
        },
        division_codes = {
            let a = &config.admin;
            let files: Vec<String> = a.division_codes.iter().map(|p| p.display().to_string()).collect();
            let city = a
                .division_city
                .as_ref()
                .map_or("# division_city = \"2301\"\n".into(), |c| format!("division_city = {}\n", string(c)));
            if files.is_empty() {
                format!("# division_codes = [\"divisions.csv\"]\n{city}")
            } else {
                format!("division_codes = {}\n{city}", list(&files))
            }
        },
    );
    let pp = &config.partition;
    let _ = write!(
        s,
        r#"
# How grids are drawn.
[partition]
max_edge_m = {edge}          # longest neighbour link between buildings, m
attempts = {attempts}             # spanning trees tried per split
undersize = "{undersize}"        # flag | merge-across-minor-barrier: what to do with pieces that cannot be in band
minor_barrier_classes = {minor}   # what merge-across-minor-barrier may cross
compounds = "{compounds}"  # split-when-needed | keep-whole: may a compound be divided when the band needs it
exact_units = {exact_units}              # pieces up to this many units are solved by exact search first
exact_budget = {exact_budget}        # candidate grids one exact search may examine
"#,
        edge = num(pp.max_edge_m),
        attempts = pp.attempts,
        undersize = match pp.undersize {
            crate::config::UndersizePolicy::Flag => "flag",
            crate::config::UndersizePolicy::MergeAcrossMinorBarrier => "merge-across-minor-barrier",
        },
        minor = list(&pp.minor_barrier_classes),
        compounds = match pp.compounds {
            crate::config::CompoundPolicy::SplitWhenNeeded => "split-when-needed",
            crate::config::CompoundPolicy::KeepWhole => "keep-whole",
        },
        exact_units = pp.exact_units,
        exact_budget = pp.exact_budget,
    );
    let dd = &config.dedicated;
    let _ = write!(
        s,
        r#"
# Dedicated grids (专属网格): special units of these kinds stand alone from min_staff (when the layer gives
# staff) or min_area_m2; smaller ones of one kind within group_within_m in one street are grouped.
[dedicated]
group_within_m = {group}
oversize = "{oversize}"   # split | keep: a dedicated grid with more households than a basic grid may hold

[dedicated.kinds]
"#,
        oversize = match dd.oversize {
            crate::config::OversizePolicy::Split => "split",
            crate::config::OversizePolicy::Keep => "keep",
        },
        group = dd.group_within_m
    );
    for (kind, k) in &dd.kinds {
        let _ = writeln!(s, "{} = {{ min_staff = {}, min_area_m2 = {} }}", key(kind), k.min_staff, num(k.min_area_m2));
    }
    let c = &config.coverage;
    let _ = write!(
        s,
        r#"
# 15-minute service circles (GB 50180-2018): threshold per facility kind, metres (distance mode) or minutes (time mode).
[coverage]
mode = "{mode}"
walking_speed_m_per_s = {speed}
snap_limit_m = {snap}
detour_factor = {detour}
{levels}search_limit_m = {limit}      # network searches stop here; farther households are reported as beyond it
new_sites = {sites}              # new sites suggested per kind (greedy maximal covering + swaps)

[coverage.thresholds]
"#,
        mode = match c.mode {
            crate::config::CoverageMode::Distance => "distance",
            crate::config::CoverageMode::Time => "time",
        },
        speed = num(c.walking_speed_m_per_s),
        snap = num(c.snap_limit_m),
        detour = num(c.detour_factor),
        levels = match &c.levels {
            Some(l) => format!("levels = [{}]\n", l.iter().map(|x| num(*x)).collect::<Vec<_>>().join(", ")),
            None =>
                "# levels = [300, 500, 1000]   # service-circle levels reported for every kind (minutes in time mode)\n"
                    .to_string(),
        },
        limit = num(c.search_limit_m),
        sites = c.new_sites,
    );
    for (k, v) in &c.thresholds {
        let _ = writeln!(s, "{} = {}", key(k), num(*v));
    }
    if c.groups.is_empty() {
        let _ = writeln!(
            s,
            "\n# Kinds evaluated as one, each with its own threshold above, e.g.\n# [coverage.groups]\n# schools = [\"primary_school\", \"middle_school\", \"school\"]"
        );
    } else {
        let _ = writeln!(s, "\n[coverage.groups]");
        for (g, kinds) in &c.groups {
            let _ = writeln!(s, "{} = {}", key(g), list(kinds));
        }
    }
    let w = &config.workload;
    let _ = write!(
        s,
        r#"
# Workload (一格多员): one worker per grid unless `workers` (a total, shared out by households) or `workers_table`
# (a CSV of grid_id,workers) is given; the three-colour warning by households per worker.
[workload]
# workers = 2000
apportionment = "{method}"   # webster (= sainte-lague) | dhondt
# workers_table = "workers.csv"
green_max_households_per_worker = {green}
yellow_max_households_per_worker = {yellow}
"#,
        method = w.apportionment.name(),
        green = num(w.green_max_households_per_worker),
        yellow = num(w.yellow_max_households_per_worker),
    );
    let _ = write!(
        s,
        r#"
# Rerunning from a previous plan (`gridplan plan plan.toml --out RUN --previous RUN`): locked grids never change;
# a rerun moves at most max_moved_pct of the households (--max-moved overrides it).
[replan]
# locked = ["r9427144-C01-03"]
# max_moved_pct = 2.0
"#
    );
    let _ = write!(
        s,
        r#"
[validation]
duplicate_ids = "{dup}"     # error | rename
"#,
        dup = match config.validation.duplicate_ids {
            crate::config::DuplicateIds::Error => "error",
            crate::config::DuplicateIds::Rename => "rename",
        }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Plan;
    use std::path::Path;

    #[test]
    fn written_plan_parses_back_to_the_same_parameters() {
        let config = PlanConfig::default();
        let text = plan_toml("test plan", &[(LayerName::Buildings, "buildings.geojson".into())], &config);
        let plan = Plan::from_toml(&text, Path::new("plan.toml")).expect("parses");
        assert_eq!(plan.config.estimate.residential_kinds, config.estimate.residential_kinds);
        assert_eq!(plan.config.coverage.thresholds, config.coverage.thresholds);
        assert_eq!(plan.config.bands.basic, config.bands.basic);
        assert_eq!(plan.config.barriers.classes, config.barriers.classes);
    }
}
