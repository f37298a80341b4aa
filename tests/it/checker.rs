//! The checker shares nothing with the partitioner, so it can fail: each test breaks a legal plan of the
//! sample in one way and expects `check.json` to catch exactly that (issue #10).

use super::util::*;
use geo::{Distance, Euclidean, Intersects, Line};
use gridplan::config::Plan;
use gridplan::model::Dataset;
use gridplan::partition::{Partition, check::check, partition};

fn sample() -> (tempfile::TempDir, Plan, Dataset, Partition) {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = Plan::from_path(&import_sample(dir.path(), "sample")).expect("plan");
    let d = gridplan::load::load_plan(&plan).expect("load");
    let p = partition(&d, &plan.config, 1);
    (dir, plan, d, p)
}

fn grid_of(p: &Partition, s: usize) -> usize {
    p.grids.iter().position(|g| g.sites.contains(&s)).expect("a basic grid")
}

/// Moves site `s` from its grid to grid `to`, keeping the stored totals right.
fn move_site(p: &mut Partition, s: usize, to: usize) {
    let from = grid_of(p, s);
    let h = u64::from(p.sites[s].households);
    p.grids[from].sites.retain(|&x| x != s);
    p.grids[from].households -= h;
    p.grids[to].sites.push(s);
    p.grids[to].sites.sort_unstable();
    p.grids[to].households += h;
}

#[test]
fn the_legal_plan_passes() {
    let (_dir, plan, d, p) = sample();
    let c = check(&d, &p, &plan.config);
    assert_eq!(
        (c.sites_in_no_grid, c.sites_in_two_grids, c.grid_total_mismatches, c.discontiguous_grids),
        (0, 0, 0, 0)
    );
    assert_eq!((c.barrier_crossings, c.compounds_split - c.compounds_split_listed, c.nesting_violations), (0, 0, 0));
}

#[test]
fn a_site_moved_across_a_barrier_is_caught() {
    let (_dir, plan, d, mut p) = sample();
    let hard: Vec<&geo::LineString> =
        d.barriers.iter().filter(|b| plan.config.barriers.classes.contains(&b.class)).map(|b| &b.line).collect();
    // The closest pair of sites in two grids with a hard barrier between them.
    let mut best: Option<(f64, usize, usize)> = None;
    let n = p.sites.len();
    {
        for a in 0..n {
            for b in 0..n {
                let (pa, pb) = (p.sites[a].point, p.sites[b].point);
                let dist = Euclidean.distance(pa, pb);
                if a < b && dist < 150.0 && grid_of(&p, a) != grid_of(&p, b) && best.is_none_or(|x| dist < x.0) {
                    let line = Line::new(pa.0, pb.0);
                    if hard.iter().any(|l| l.intersects(&line)) {
                        best = Some((dist, a, b));
                    }
                }
            }
        }
    }
    let (_, a, b) = best.expect("the sample's trunk road runs between grids");
    let to = grid_of(&p, b);
    move_site(&mut p, a, to);
    let c = check(&d, &p, &plan.config);
    assert!(c.barrier_crossings >= 1, "{c:?}");
    assert_eq!((c.sites_in_two_grids, c.grid_total_mismatches), (0, 0));
}

#[test]
fn a_compound_split_on_no_ones_order_is_caught() {
    let (_dir, plan, d, mut p) = sample();
    let before = check(&d, &p, &plan.config);
    // A compound of several buildings in one grid: one building goes to a neighbouring grid of its community.
    let (s, to) = (0..p.sites.len())
        .filter_map(|s| {
            let k = p.sites[s].compound?;
            let g = grid_of(&p, s);
            let whole = p.sites.iter().enumerate().filter(|(_, x)| x.compound == Some(k)).count() > 1
                && p.sites.iter().enumerate().all(|(i, x)| x.compound != Some(k) || p.grids[g].sites.contains(&i));
            let to = (0..p.grids.len()).find(|&h| h != g && p.grids[h].community == p.grids[g].community)?;
            whole.then_some((s, to))
        })
        .next()
        .expect("a whole compound of several buildings");
    move_site(&mut p, s, to);
    let c = check(&d, &p, &plan.config);
    assert_eq!(c.compounds_split, before.compounds_split + 1, "{c:?}");
    assert_eq!(c.compounds_split_listed, before.compounds_split_listed);
}

#[test]
fn a_site_in_two_grids_a_lost_site_and_a_wrong_total_are_caught() {
    let (_dir, plan, d, p) = sample();
    let mut twice = p.clone();
    let s = twice.grids[0].sites[0];
    twice.grids[1].sites.push(s);
    twice.grids[1].households += u64::from(twice.sites[s].households);
    let c = check(&d, &twice, &plan.config);
    assert_eq!(c.sites_in_two_grids, 1, "{c:?}");
    assert!(c.households_assigned > c.households_in - c.households_unassigned);

    let mut lost = p.clone();
    let s = lost.grids[0].sites.remove(0);
    lost.grids[0].households -= u64::from(lost.sites[s].households);
    let c = check(&d, &lost, &plan.config);
    assert_eq!(c.sites_in_no_grid, 1, "{c:?}");
    assert!(c.households_assigned + c.households_unassigned < c.households_in);

    let mut wrong = p.clone();
    wrong.grids[2].households += 1;
    let c = check(&d, &wrong, &plan.config);
    assert_eq!(c.grid_total_mismatches, 1, "{c:?}");
    assert_eq!(c.households_assigned + c.households_unassigned, c.households_in, "totals are recounted from the sites");
}

#[test]
fn a_site_outside_its_street_is_caught() {
    let (_dir, plan, d, mut p) = sample();
    let g = p.grids.iter().position(|g| g.sites.len() > 1).expect("a grid of several sites");
    let s = p.grids[g].sites[0];
    p.sites[s].point = geo::Point::new(p.sites[s].point.x() + 50_000.0, p.sites[s].point.y());
    let c = check(&d, &p, &plan.config);
    assert!(c.nesting_violations >= 1 && c.discontiguous_grids >= 1, "{c:?}");
}

#[test]
fn a_search_that_gives_up_says_not_proved_and_counts_as_unexplained() {
    let (_dir, mut plan, d, p) = sample();
    assert_eq!(check(&d, &p, &plan.config).grids_out_of_band_unexplained, 0, "the default search proves every case");
    plan.config.partition.attempts = 1;
    plan.config.partition.exact_units = 0;
    plan.config.partition.exact_budget = 0;
    let weak = partition(&d, &plan.config, 1);
    let c = check(&d, &weak, &plan.config);
    assert!(c.grids_out_of_band_unexplained > 0, "{c:?}");
    for g in weak.grids.iter().filter(|g| !(300..=500).contains(&g.households)) {
        let cert = &weak.certificates[g.certificate.expect("every out-of-band grid has a certificate")];
        assert_eq!(cert.proof.is_proof(), !cert.reason.starts_with("未证明："), "{}", cert.reason);
    }
}
