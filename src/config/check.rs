//! Every parameter against its documented range (README, "Parameters and their defaults"). A value out of
//! range is an error naming the key, the value and the range — never capped silently, never run for hours.

use super::{CoverageMode, Plan, PlanError};
use std::path::{Component, Path};

/// The ranges, in one place: (key, lowest, highest, whether the lowest is allowed).
struct Range {
    lo: f64,
    hi: f64,
    lo_inclusive: bool,
}

const fn incl(lo: f64, hi: f64) -> Range {
    Range { lo, hi, lo_inclusive: true }
}

const fn above(lo: f64, hi: f64) -> Range {
    Range { lo, hi, lo_inclusive: false }
}

/// Thresholds and levels: metres in distance mode, minutes in time mode.
const DISTANCE_M: Range = above(0.0, 50_000.0);
const TIME_MIN: Range = above(0.0, 600.0);

impl Plan {
    pub(super) fn invalid(&self, key: &str, value: impl std::fmt::Display, rule: &str) -> PlanError {
        PlanError::Invalid { path: self.path.clone(), key: key.into(), value: value.to_string(), rule: rule.into() }
    }

    fn in_range(&self, key: &str, v: f64, r: Range) -> Result<(), PlanError> {
        let low_ok = if r.lo_inclusive { v >= r.lo } else { v > r.lo };
        if v.is_finite() && low_ok && v <= r.hi {
            return Ok(());
        }
        let open = if r.lo_inclusive { "[" } else { "(" };
        Err(self.invalid(key, short_number(v), &format!("must be a number in {open}{}, {}]", r.lo, r.hi)))
    }

    pub(super) fn check(&self) -> Result<(), PlanError> {
        let c = &self.config;
        if c.layers.buildings.is_none() && c.layers.households.is_none() {
            return Err(self.invalid("layers", "(none)", "a plan needs [layers.buildings] or [layers.households]"));
        }
        if c.plan.name.chars().any(char::is_control) || c.plan.name.chars().count() > 200 {
            return Err(self.invalid(
                "plan.name",
                format!("{:?}", c.plan.name),
                "at most 200 characters, no control characters",
            ));
        }
        self.in_range("plan.max_decompressed_mib", c.plan.max_decompressed_mib as f64, incl(1.0, 65_536.0))?;
        self.check_layer_paths()?;
        let e = &c.estimate;
        self.in_range("estimate.flat_area_m2", e.flat_area_m2, incl(10.0, 1000.0))?;
        self.in_range("estimate.dwelling_share", e.dwelling_share, above(0.0, 1.0))?;
        self.in_range("estimate.default_levels", e.default_levels, incl(1.0, 200.0))?;
        self.in_range("estimate.storey_height_m", e.storey_height_m, incl(2.0, 10.0))?;
        self.in_range("estimate.persons_per_household", e.persons_per_household, incl(0.5, 20.0))?;
        self.in_range("estimate.untagged_min_m2", e.untagged_min_m2, incl(0.0, 100_000.0))?;
        self.in_range("estimate.untagged_max_m2", e.untagged_max_m2, incl(e.untagged_min_m2, 1_000_000.0))?;
        self.in_range("estimate.untagged_radius_m", e.untagged_radius_m, incl(0.0, 5_000.0))?;
        let p = &c.partition;
        self.in_range("partition.max_edge_m", p.max_edge_m, above(0.0, 10_000.0))?;
        self.in_range("partition.attempts", f64::from(p.attempts), incl(1.0, 10_000.0))?;
        self.in_range("partition.exact_units", f64::from(p.exact_units), incl(0.0, 128.0))?;
        self.in_range("partition.exact_budget", p.exact_budget as f64, incl(0.0, 100_000_000.0))?;
        self.in_range("outlines.on_road_within_m", c.outlines.on_road_within_m, above(0.0, 1_000.0))?;
        let d = &c.dedicated;
        self.in_range("dedicated.group_within_m", d.group_within_m, incl(0.0, 10_000.0))?;
        for (kind, k) in &d.kinds {
            self.in_range(&format!("dedicated.kinds.{kind}.min_area_m2"), k.min_area_m2, incl(0.0, 1e8))?;
        }
        self.check_coverage()?;
        self.in_range("ensemble.steps", c.ensemble.steps as f64, incl(0.0, 10_000_000.0))?;
        self.in_range("ensemble.chains", c.ensemble.chains as f64, incl(1.0, 64.0))?;
        if let Some(pct) = c.replan.max_moved_pct {
            self.in_range("replan.max_moved_pct", pct, incl(0.0, 100.0))?;
        }
        let w = &c.workload;
        if let Some(n) = w.workers {
            self.in_range("workload.workers", f64::from(n), incl(1.0, 10_000_000.0))?;
        }
        self.in_range("workload.green_max_households_per_worker", w.green_max_households_per_worker, above(0.0, 1e6))?;
        self.in_range(
            "workload.yellow_max_households_per_worker",
            w.yellow_max_households_per_worker,
            above(0.0, 1e6),
        )?;
        if w.green_max_households_per_worker > w.yellow_max_households_per_worker {
            return Err(self.invalid(
                "workload.yellow_max_households_per_worker",
                w.yellow_max_households_per_worker,
                "needs green_max_households_per_worker ≤ yellow_max_households_per_worker",
            ));
        }
        let a = &c.admin;
        for (key, levels) in
            [("admin.street_levels", &a.street_levels), ("admin.community_levels", &a.community_levels)]
        {
            if let Some(twice) = levels.iter().find(|l| {
                [&a.street_levels, &a.community_levels, &a.district_levels].iter().filter(|v| v.contains(l)).count() > 1
            }) {
                return Err(self.invalid(key, twice, "a level can name only one of district, street and community"));
            }
        }
        Ok(())
    }

    fn check_coverage(&self) -> Result<(), PlanError> {
        let cov = &self.config.coverage;
        self.in_range("coverage.walking_speed_m_per_s", cov.walking_speed_m_per_s, incl(0.1, 5.0))?;
        self.in_range("coverage.snap_limit_m", cov.snap_limit_m, above(0.0, 5_000.0))?;
        self.in_range("coverage.detour_factor", cov.detour_factor, incl(1.0, 5.0))?;
        self.in_range("coverage.search_limit_m", cov.search_limit_m, above(0.0, 100_000.0))?;
        self.in_range("coverage.new_sites", cov.new_sites as f64, incl(0.0, 100.0))?;
        let range = || match cov.mode {
            CoverageMode::Distance => DISTANCE_M,
            CoverageMode::Time => TIME_MIN,
        };
        for (kind, v) in &cov.thresholds {
            self.in_range(&format!("coverage.thresholds.{kind}"), *v, range())?;
        }
        for v in cov.levels.iter().flatten() {
            self.in_range("coverage.levels", *v, range())?;
        }
        for (group, kinds) in &cov.groups {
            if !cov.thresholds.contains_key(group) {
                return Err(self.invalid(
                    &format!("coverage.groups.{group}"),
                    kinds.join(", "),
                    "a group needs its own entry in [coverage.thresholds]",
                ));
            }
            if kinds.is_empty() {
                return Err(self.invalid(&format!("coverage.groups.{group}"), "[]", "a group needs at least one kind"));
            }
        }
        Ok(())
    }

    /// Layer paths stay inside the plan's folder unless the plan allows otherwise.
    fn check_layer_paths(&self) -> Result<(), PlanError> {
        if self.config.plan.allow_outside_paths {
            return Ok(());
        }
        let mut paths: Vec<(String, &Path)> = self.layer_paths();
        if let Some(t) = &self.config.workload.workers_table {
            paths.push(("workload.workers_table".into(), t));
        }
        for (key, path) in paths {
            if leaves_folder(path) {
                return Err(self.invalid(
                    &key,
                    path.display(),
                    "leads outside the plan's folder; copy the file next to the plan, or set [plan] allow_outside_paths = true",
                ));
            }
        }
        Ok(())
    }
}

/// A number as a planner reads it: `1e300`, not three hundred digits.
fn short_number(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e15).contains(&v.abs()) { format!("{v:e}") } else { format!("{v}") }
}

/// Whether a relative path climbs above its start, or is absolute.
fn leaves_folder(path: &Path) -> bool {
    let mut depth: i64 = 0;
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => return true,
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_folder() {
        for p in ["../x.csv", "/etc/passwd", "a/../../x", "./../x"] {
            assert!(leaves_folder(Path::new(p)), "{p}");
        }
        for p in ["x.csv", "data/x.csv", "a/../x.csv", "./x"] {
            assert!(!leaves_folder(Path::new(p)), "{p}");
        }
    }
}
