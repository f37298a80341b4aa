//! 15-minute service circles (15分钟服务圈): for every household site and facility kind, the walking distance to
//! the nearest facility of that kind over the walk network, who is covered at each level, and where new sites
//! would close the most gaps ([`siting`]).
//!
//! Sites and facilities are snapped to the nearest *edge* ([`crate::network`]); one bounded multi-source
//! Dijkstra per kind, kinds in parallel. A straight line × the detour factor is used only for sites that are
//! farther than the snap limit from the network, or on a piece of it that holds no facility of the kind —
//! and every row says which method gave its distance.

pub mod siting;

use crate::config::CoverageParams;
use crate::model::Dataset;
use crate::network::{Snap, WalkGraph};
use crate::partition::{Site, all_sites};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How a distance was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Over the walk network, exact for edge-snapped ends.
    Network,
    /// Over the walk network from the nearest edge of a piece that holds the kind, within the snap limit:
    /// the nearest edge of all is on a small piece (a plaza outline, a service road) that does not.
    NetworkFartherEdge,
    /// Straight line × detour factor: the site is farther than the snap limit from the network.
    EuclideanOffNetwork,
    /// Straight line × detour factor: the site's piece of the network holds no facility of the kind.
    EuclideanDisconnected,
    /// No facility of the kind exists.
    NoFacility,
}

impl Method {
    /// The name written in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Network => "network",
            Method::NetworkFartherEdge => "network_farther_edge",
            Method::EuclideanOffNetwork => "euclidean_off_network",
            Method::EuclideanDisconnected => "euclidean_disconnected",
            Method::NoFacility => "no_facility",
        }
    }

    /// Whether the distance is a straight-line estimate.
    pub fn is_fallback(self) -> bool {
        matches!(self, Method::EuclideanOffNetwork | Method::EuclideanDisconnected)
    }
}

/// One site's walk to the nearest facility of a kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// Distance, m; `None` when beyond the search limit or no facility exists.
    pub distance_m: Option<f64>,
    /// The nearest facility (index into `Dataset::facilities`).
    pub facility: Option<usize>,
    /// How the distance was obtained.
    pub method: Method,
}

impl Reach {
    /// Whether the site is within `threshold_m`.
    pub fn within(&self, threshold_m: f64) -> bool {
        self.distance_m.is_some_and(|d| d <= threshold_m)
    }
}

/// A kind (or group of kinds) evaluated as one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kind {
    /// Name (a facility kind or a group).
    pub name: String,
    /// Facility kinds it stands for.
    pub facility_kinds: Vec<String>,
    /// Its own threshold, m.
    pub threshold_m: f64,
}

/// Coverage of one kind.
#[derive(Debug, Clone)]
pub struct KindCoverage {
    /// The kind.
    pub kind: Kind,
    /// Per site (same order as [`Coverage::sites`]).
    pub reach: Vec<Reach>,
    /// Facilities of the kind (indices into `Dataset::facilities`).
    pub facilities: Vec<usize>,
    /// Facilities farther than the snap limit from the network (used only for straight-line fallbacks).
    pub facilities_off_network: Vec<usize>,
    /// Where sites measured from a farther edge ([`Method::NetworkFartherEdge`]) meet the network for this
    /// kind, by site (new-site suggestions measure them from there too).
    pub farther_snaps: BTreeMap<usize, Snap>,
}

/// The coverage of a dataset.
#[derive(Debug)]
pub struct Coverage {
    /// Every site with households (inside a street or not).
    pub sites: Vec<Site>,
    /// Where each site meets the network, when within the snap limit.
    pub snaps: Vec<Option<Snap>>,
    /// Per kind, by name.
    pub kinds: Vec<KindCoverage>,
    /// Report levels, m, ascending.
    pub levels_m: Vec<f64>,
    /// Where network searches stopped, m.
    pub search_limit_m: f64,
    /// The walk graph.
    pub graph: WalkGraph,
    /// Time spent building the walk graph and snapping every site and facility to it (the rest of
    /// [`coverage`] is the searches), for the run records and the side-by-side benchmarks.
    pub network_time: std::time::Duration,
}

/// The kinds a plan evaluates: every kind with a threshold, groups standing for their member kinds.
pub fn kinds(params: &CoverageParams) -> Vec<Kind> {
    params
        .thresholds
        .iter()
        .map(|(name, &t)| Kind {
            name: name.clone(),
            facility_kinds: params.groups.get(name).cloned().unwrap_or_else(|| vec![name.clone()]),
            threshold_m: params.metres(t),
        })
        .collect()
}

/// A coverage that cannot be computed as asked.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    /// A kind the plan names is neither one of gridplan's kinds nor in the facilities layer: a typo would
    /// otherwise give "0 facilities, 0 % covered".
    #[error(
        "{key} names the facility kind {kind:?}, which no facility has and which is not one of gridplan's kinds{}; kinds in the data: {in_data}",
        suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default()
    )]
    UnknownKind {
        /// The plan key that names it.
        key: String,
        /// The kind.
        kind: String,
        /// The nearest known kind, when one is close.
        suggestion: Option<String>,
        /// The kinds the facilities layer has.
        in_data: String,
    },
}

/// Checks that every kind of `[coverage.thresholds]` and `[coverage.groups]` is a kind gridplan knows or one
/// the facilities layer has.
pub fn check_kinds(d: &Dataset, params: &CoverageParams) -> Result<(), CoverageError> {
    let in_data: std::collections::BTreeSet<&str> = d.facilities.iter().map(|f| f.kind.as_str()).collect();
    let known = |k: &str| in_data.contains(k) || crate::osm_tags::FACILITY_KINDS.contains(&k);
    let mut named: Vec<(String, &str)> = params
        .thresholds
        .keys()
        .filter(|k| !params.groups.contains_key(*k))
        .map(|k| (format!("[coverage.thresholds] {k}"), k.as_str()))
        .collect();
    for (g, kinds) in &params.groups {
        named.extend(kinds.iter().map(|k| (format!("[coverage.groups] {g}"), k.as_str())));
    }
    for (key, kind) in named {
        if !known(kind) {
            let candidates = in_data.iter().copied().chain(crate::osm_tags::FACILITY_KINDS.iter().copied());
            return Err(CoverageError::UnknownKind {
                key,
                kind: kind.to_string(),
                suggestion: closest(kind, candidates),
                in_data: if in_data.is_empty() {
                    "(none)".into()
                } else {
                    in_data.iter().copied().collect::<Vec<_>>().join(", ")
                },
            });
        }
    }
    Ok(())
}

/// The candidate nearest `word` by edit distance, when within a third of its length.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let edit = |a: &str, b: &str| {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for i in 1..=a.len() {
            let mut prev = row[0];
            row[0] = i;
            for j in 1..=b.len() {
                let cur = row[j];
                row[j] = (row[j] + 1).min(row[j - 1] + 1).min(prev + usize::from(a[i - 1] != b[j - 1]));
                prev = cur;
            }
        }
        row[b.len()]
    };
    candidates
        .map(|c| (edit(word, c), c))
        .min()
        .filter(|(d, _)| *d <= word.chars().count().div_ceil(3))
        .map(|(_, c)| c.to_string())
}

/// Computes coverage for every kind of the plan (or only `only`, when given).
pub fn coverage(d: &Dataset, params: &CoverageParams, only: Option<&[String]>) -> Result<Coverage, CoverageError> {
    check_kinds(d, params)?;
    let t = std::time::Instant::now();
    let graph = WalkGraph::new(&d.walk_network);
    let sites = all_sites(d);
    let snaps: Vec<Option<Snap>> =
        sites.par_iter().map(|s| graph.snap(s.point).filter(|sn| sn.offset_m <= params.snap_limit_m)).collect();
    let levels_m = params.levels_m();
    let kinds: Vec<Kind> = kinds(params).into_iter().filter(|k| only.is_none_or(|o| o.contains(&k.name))).collect();
    let largest = kinds.iter().map(|k| k.threshold_m).chain(levels_m.iter().copied()).fold(0.0, f64::max);
    let search_limit_m = params.search_limit_m.max(largest);
    let facility_snaps: Vec<Option<Snap>> = d.facilities.par_iter().map(|f| graph.snap(f.point)).collect();
    let network_time = t.elapsed();
    let kinds = kinds
        .into_par_iter()
        .map(|kind| {
            let facilities: Vec<usize> =
                (0..d.facilities.len()).filter(|&f| kind.facility_kinds.contains(&d.facilities[f].kind)).collect();
            let (on, off): (Vec<usize>, Vec<usize>) =
                facilities.iter().partition(|&&f| facility_snaps[f].is_some_and(|s| s.offset_m <= params.snap_limit_m));
            let sources: Vec<(Snap, u32)> =
                on.iter().filter_map(|&f| facility_snaps[f].map(|s| (s, f as u32))).collect();
            let (reach, farther): (Vec<Reach>, Vec<Option<Snap>>) =
                reach_of_kind(d, &graph, &sites, &snaps, &sources, &facilities, params, search_limit_m)
                    .into_iter()
                    .unzip();
            let farther_snaps = farther.into_iter().enumerate().filter_map(|(i, s)| s.map(|s| (i, s))).collect();
            KindCoverage { kind, reach, facilities, facilities_off_network: off, farther_snaps }
        })
        .collect();
    Ok(Coverage { sites, snaps, kinds, levels_m, search_limit_m, graph, network_time })
}

/// The places new facilities could go: the plan's candidates layer, else every building (kind empty: a
/// candidate for every kind).
pub fn candidate_places(d: &Dataset) -> std::borrow::Cow<'_, [crate::model::Facility]> {
    if !d.candidates.is_empty() {
        return std::borrow::Cow::Borrowed(&d.candidates);
    }
    let buildings = d.buildings.iter().map(|b| crate::model::Facility {
        id: b.id.clone(),
        kind: String::new(),
        name: b.name.clone(),
        point: b.point,
        capacity: None,
    });
    std::borrow::Cow::Owned(buildings.collect())
}

/// Candidate places for new facilities ([`candidate_places`]), as siting reads them.
pub fn candidates(d: &Dataset) -> Vec<siting::Candidate> {
    candidate_places(d)
        .iter()
        .map(|c| siting::Candidate { id: c.id.clone(), name: c.name.clone(), kind: c.kind.clone(), point: c.point })
        .collect()
}

/// Why no new site can be suggested although the plan asks for some: no candidate place at all (a plan of
/// household points with no buildings and no candidates layer).
pub fn no_candidates_note(candidates: &[siting::Candidate], params: &CoverageParams) -> Option<String> {
    (params.new_sites > 0 && candidates.is_empty()).then(|| {
        "no new sites suggested: there is no candidate place (no buildings and no candidates layer); add [layers.candidates] with the places new facilities could go".to_string()
    })
}

/// New-site suggestions for every kind (same order as `cov.kinds`), `params.new_sites` each; none when `new_sites = 0`.
pub fn suggest_sites(cov: &Coverage, candidates: &[siting::Candidate], params: &CoverageParams) -> Vec<siting::Siting> {
    if params.new_sites == 0 {
        return Vec::new();
    }
    let snapped: Vec<(siting::Candidate, Option<Snap>)> = candidates
        .par_iter()
        .map(|c| (c.clone(), cov.graph.snap(c.point).filter(|s| s.offset_m <= params.snap_limit_m)))
        .collect();
    // Kinds that pose the same problem as an earlier one (no facility, same threshold) take its answer. The
    // relation is an equality, so the first kind of each class is its own first.
    let n = cov.kinds.len();
    let first_alike: Vec<usize> = (0..n)
        .map(|i| (0..i).find(|&j| siting::same_problem(&cov.kinds[j], &cov.kinds[i], &snapped)).unwrap_or(i))
        .collect();
    let unique: Vec<usize> = (0..n).filter(|&i| first_alike[i] == i).collect();
    // The rest share one search per candidate per threshold.
    let mut by_threshold: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for &i in &unique {
        by_threshold.entry(cov.kinds[i].kind.threshold_m.to_bits()).or_default().push(i);
    }
    let mut solved_of: BTreeMap<usize, siting::Siting> = BTreeMap::new();
    for group in by_threshold.values() {
        let kinds: Vec<&KindCoverage> = group.iter().map(|&i| &cov.kinds[i]).collect();
        for (&i, s) in group.iter().zip(siting::suggest(cov, &kinds, &snapped, params, params.new_sites)) {
            solved_of.insert(i, s);
        }
    }
    (0..n)
        .map(|i| {
            let mut s = solved_of[&first_alike[i]].clone();
            s.kind = cov.kinds[i].kind.name.clone();
            s
        })
        .collect()
}

/// Straight-line distances to a set of points, for the fallback.
pub(crate) struct PointIndex(RTree<GeomWithData<[f64; 2], usize>>);

impl PointIndex {
    pub(crate) fn new(points: impl Iterator<Item = ([f64; 2], usize)>) -> Self {
        PointIndex(RTree::bulk_load(points.map(|(p, i)| GeomWithData::new(p, i)).collect()))
    }

    /// The nearest point's label and distance; among equally near points the lowest label.
    pub(crate) fn nearest(&self, p: geo::Point) -> Option<(usize, f64)> {
        let q = [p.x(), p.y()];
        let mut best: Option<(usize, f64)> = None;
        for item in self.0.nearest_neighbor_iter_with_distance_2(&q) {
            let d = item.1.sqrt();
            match best {
                Some((_, bd)) if d > bd => break,
                Some((bl, bd)) if d == bd && item.0.data >= bl => {}
                _ => best = Some((item.0.data, d)),
            }
        }
        best
    }

    /// Labels of the points within `r` of `p`.
    pub(crate) fn within(&self, p: geo::Point, r: f64) -> impl Iterator<Item = usize> + '_ {
        self.0.locate_within_distance([p.x(), p.y()], r * r).map(|g| g.data)
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "one kind's search needs the graph, the sites and their snaps, the facilities and the limits; a struct would only rename them"
)]
fn reach_of_kind(
    d: &Dataset,
    graph: &WalkGraph,
    sites: &[Site],
    snaps: &[Option<Snap>],
    sources: &[(Snap, u32)],
    facilities: &[usize],
    params: &CoverageParams,
    limit_m: f64,
) -> Vec<(Reach, Option<Snap>)> {
    if facilities.is_empty() {
        return vec![(Reach { distance_m: None, facility: None, method: Method::NoFacility }, None); sites.len()];
    }
    let nodes = graph.nearest_sources(sources, limit_m);
    let served: HashSet<u32> = sources.iter().map(|(s, _)| graph.edge_component(s.edge)).collect();
    let mut on_edge: HashMap<u32, Vec<(Snap, u32)>> = HashMap::new();
    for &(s, f) in sources {
        on_edge.entry(s.edge).or_default().push((s, f));
    }
    let straight =
        PointIndex::new(facilities.iter().map(|&f| ([d.facilities[f].point.x(), d.facilities[f].point.y()], f)));
    let fallback = |site: &Site, method: Method| {
        let (f, dist) = straight.nearest(site.point).map_or((None, None), |(f, dist)| (Some(f), Some(dist)));
        Reach { distance_m: dist.map(|x| x * params.detour_factor), facility: f, method }
    };
    sites
        .par_iter()
        .zip(snaps)
        .map(|(site, snap)| {
            let Some(mut s) = *snap else { return (fallback(site, Method::EuclideanOffNetwork), None) };
            let mut method = Method::Network;
            let mut farther = None;
            if !served.contains(&graph.edge_component(s.edge)) {
                match graph.snap_within(site.point, params.snap_limit_m, |c| served.contains(&c)) {
                    Some(f) => (s, method, farther) = (f, Method::NetworkFartherEdge, Some(f)),
                    None => return (fallback(site, Method::EuclideanDisconnected), None),
                }
            }
            let s = &s;
            let mut best = nodes.at(graph, *s).map(|(dist, f)| (dist, f as usize));
            for &(fs, f) in on_edge.get(&s.edge).into_iter().flatten() {
                let direct = (s.along_m - fs.along_m).abs() + s.offset_m + fs.offset_m;
                if best.is_none_or(|(b, bf)| direct < b || (direct == b && (f as usize) < bf)) {
                    best = Some((direct, f as usize));
                }
            }
            let best = best.filter(|(dist, _)| *dist <= limit_m);
            (Reach { distance_m: best.map(|b| b.0), facility: best.map(|b| b.1), method }, farther)
        })
        .collect()
}

/// Households, covered households and persons covered of a set of sites at a threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Households.
    pub households: u64,
    /// Households within the threshold.
    pub households_covered: u64,
    /// Persons within the threshold.
    pub persons_covered: u64,
    /// Households whose distance is a straight-line fallback.
    pub households_fallback: u64,
}

impl Tally {
    /// Covered share of households (0 for none).
    pub fn share(&self) -> f64 {
        if self.households == 0 { 0.0 } else { self.households_covered as f64 / self.households as f64 }
    }
}

impl Coverage {
    /// The thresholds reported for a kind: its own and every level, ascending.
    pub fn thresholds_of(&self, k: &KindCoverage) -> Vec<f64> {
        let mut t: Vec<f64> = self.levels_m.iter().copied().chain([k.kind.threshold_m]).collect();
        t.sort_by(f64::total_cmp);
        t.dedup();
        t
    }

    /// Tallies per area at a threshold, in one pass: `area[i]` is site i's area (an index below `areas`;
    /// `None` leaves the site out).
    pub fn tally_by(
        &self,
        k: &KindCoverage,
        threshold_m: f64,
        persons: &[u64],
        area: &[Option<u32>],
        areas: usize,
    ) -> Vec<Tally> {
        let mut out = vec![Tally::default(); areas];
        for (i, (site, reach)) in self.sites.iter().zip(&k.reach).enumerate() {
            let Some(a) = area[i] else { continue };
            let t = &mut out[a as usize];
            let h = u64::from(site.households);
            t.households += h;
            if reach.within(threshold_m) {
                t.households_covered += h;
                t.persons_covered += persons[i];
            }
            if reach.method.is_fallback() {
                t.households_fallback += h;
            }
        }
        out
    }

    /// The tally of every site at a threshold.
    pub fn total(&self, k: &KindCoverage, threshold_m: f64, persons: &[u64]) -> Tally {
        let all = vec![Some(0); self.sites.len()];
        self.tally_by(k, threshold_m, persons, &all, 1).pop().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_index_breaks_ties_by_label() {
        let idx = PointIndex::new([([1.0, 0.0], 5), ([-1.0, 0.0], 2), ([0.0, 3.0], 1)].into_iter());
        assert_eq!(idx.nearest(geo::Point::new(0.0, 0.0)), Some((2, 1.0)));
    }
}
