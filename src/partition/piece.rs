//! One piece (a connected component of the unit graph inside a community): an in-band plan, or a proof that
//! none exists — exact search for small pieces, spanning trees for large ones, then more effort — and, when
//! there is none, the certificate and the fallback regions.

use super::graph::{SiteLink, UnitGraph};
use super::{Certificate, Partitioner, Proof, exact, grow, tree};
use crate::config::{Band, PartitionParams};
use geo::Point;
use rand_chacha::ChaCha8Rng;

/// How much harder the last round of spanning trees tries than the first.
const MORE_EFFORT: u32 = 10;

/// What solving a piece ends with.
#[derive(Debug)]
pub enum Solved {
    /// Connected parts, each in band.
    InBand(Vec<Vec<usize>>),
    /// No in-band plan, with how that is known.
    Impossible(Proof),
}

/// Solves `piece` (connected in `graph`): exact search for the best plan first for pieces of at most
/// `exact_units` units, spanning trees at the preferred k, exact search for any plan for pieces of at most 128
/// units (a tenth of the budget), spanning trees at the neighbouring ks, then (when `more_effort`) spanning
/// trees at those ks with ten times the attempts and exact search with the whole budget. The number of grids is
/// at most the number of units.
#[allow(clippy::too_many_arguments, reason = "the context of one piece")]
pub fn solve(
    graph: &UnitGraph,
    centres: &[Point],
    piece: &[usize],
    band: Band,
    params: &PartitionParams,
    algorithm: &dyn Partitioner,
    more_effort: bool,
    rng: &mut ChaCha8Rng,
) -> Solved {
    let h: u64 = piece.iter().map(|&u| u64::from(graph.households[u])).sum();
    let (Some(k), Some((lo, hi))) = (tree::choose_k(h, band), tree::feasible_ks(h, band)) else {
        return Solved::Impossible(Proof::KWindow);
    };
    // Every grid holds at least one unit.
    let hi = hi.min(piece.len() as u64);
    if lo > hi {
        return Solved::Impossible(Proof::FewerUnitsThanGrids);
    }
    let k = k.clamp(lo, hi);
    let exact_allowed = algorithm.exact_search() && piece.len() <= exact::MAX_UNITS;
    let exact_first = exact_allowed && piece.len() <= params.exact_units as usize;
    let (mut searched, mut trees) = (0u64, 0u64);
    let exact = |searched: &mut u64, goal, budget| match exact::search(graph, centres, piece, band, k, budget, goal) {
        exact::Outcome::Plan { parts, .. } => Some(Solved::InBand(parts)),
        exact::Outcome::NoPlan { searched } => Some(Solved::Impossible(Proof::Exhaustive { searched })),
        exact::Outcome::GaveUp { searched: s } => {
            *searched += s;
            None
        }
    };
    if exact_first && let Some(done) = exact(&mut searched, exact::Goal::Best, params.exact_budget / 10) {
        return done;
    }
    // The preferred k by spanning trees (they find a plan in a few trees when one is easy to find), then an
    // exact search for any plan, which also proves when there is none, then the neighbouring ks.
    if let Some(parts) = algorithm.split(graph, centres, piece, k, band, rng, params.attempts) {
        return Solved::InBand(parts);
    }
    trees += u64::from(params.attempts);
    if exact_allowed && let Some(done) = exact(&mut searched, exact::Goal::Any, params.exact_budget / 10) {
        return done;
    }
    for dk in 1..=2 {
        for k in [k + dk, k.saturating_sub(dk)].into_iter().filter(|&x| x >= lo && x <= hi && x >= 1) {
            if let Some(parts) = algorithm.split(graph, centres, piece, k, band, rng, params.attempts) {
                return Solved::InBand(parts);
            }
            trees += u64::from(params.attempts);
        }
    }
    // More trees at the preferred k and its neighbours (not the whole window: a window of a hundred ks at ten
    // times the attempts would cost seconds on a large piece).
    let attempts = params.attempts.saturating_mul(MORE_EFFORT);
    let near = [k, k + 1, k.saturating_sub(1), k + 2, k.saturating_sub(2)];
    let mut tried = Vec::new();
    for k in near.into_iter().filter(|&x| more_effort && x >= lo && x <= hi && x >= 1) {
        if tried.contains(&k) {
            continue;
        }
        tried.push(k);
        if let Some(parts) = algorithm.split(graph, centres, piece, k, band, rng, attempts) {
            return Solved::InBand(parts);
        }
        trees += u64::from(attempts);
    }
    // The whole budget, to prove what the first search could not.
    if exact_allowed
        && more_effort
        && let Some(done) = exact(&mut searched, exact::Goal::Any, params.exact_budget)
    {
        return done;
    }
    Solved::Impossible(Proof::NotProved { searched, trees })
}

/// The reason a certificate gives for `proof` on a piece of `h` households.
pub fn reason(proof: Proof, h: u64, band: Band, opened: &[String]) -> String {
    let (rules_zh, rules) = if opened.is_empty() {
        ("小区保持完整".to_string(), "compounds kept whole".to_string())
    } else {
        (
            format!("已拆开小区 {}", opened.join("、")),
            format!("compounds {} opened to their buildings", opened.join(", ")),
        )
    };
    let (min, max) = (u64::from(band.min()), u64::from(band.max()));
    match proof {
        Proof::KWindow if h < min => format!(
            "被主干道、河流等隔开的 {h} 户，少于下限 {min} 户 / {h} households cut off by barriers, fewer than the lower bound of {min}"
        ),
        Proof::KWindow => format!(
            "被主干道、河流等隔开的 {h} 户：一个网格容纳不下（> {max}），分成两个又不够（< {}） / {h} households cut off by barriers: too many for one grid (> {max}) and too few for two (< {})",
            2 * min,
            2 * min
        ),
        Proof::FewerUnitsThanGrids => format!(
            "这 {h} 户至少需要 {} 个不超过 {max} 户的网格，但可分的单元（完整小区算一个）不够 / these {h} households need at least {} grids of at most {max} but form fewer units (compounds kept whole count as one)",
            h.div_ceil(max),
            h.div_ceil(max)
        ),
        Proof::UnitOverUpper => format!(
            "一栋楼就有 {h} 户，超过上限 {max} 户；楼栋不拆分 / one building of {h} households, above the upper bound of {max}; a building is never split"
        ),
        Proof::Exhaustive { searched } => format!(
            "这 {h} 户不存在连片且在规模内的划分（{rules_zh}）：已穷举 {searched} 个候选网格 / no connected in-band plan exists for these {h} households ({rules}): exhaustive search of {searched} candidate grids"
        ),
        Proof::Locked => format!(
            "网格已锁定（[replan] locked），重新规划时保持不变 / locked by the planner ([replan] locked): kept as it is with {h} households"
        ),
        Proof::Budget => format!(
            "调整户数已达上限（--max-moved），未能修复 / the rerun's budget of households moved (--max-moved) was spent before this grid of {h} households could be repaired"
        ),
        Proof::NotProved { searched, trees } => format!(
            "未证明：在 {trees} 棵生成树和 {searched} 个候选网格的精确搜索中没有找到在规模内的划分（{rules_zh}），但不能断定不存在 / not proved: no in-band plan found for these {h} households in {trees} spanning trees and {searched} candidate grids of exact search ({rules})"
        ),
    }
}

/// The certificate of a piece with no in-band plan, and the regions it is cut into instead: connected, at most
/// the upper bound each, undersized ones merged where they fit.
#[allow(clippy::too_many_arguments, reason = "the context of one piece")]
pub fn fallback(
    graph: &UnitGraph,
    centres: &[Point],
    piece: &[usize],
    band: Band,
    level: &str,
    proof: Proof,
    reason: String,
    remedies: Vec<String>,
) -> Vec<(Vec<usize>, Option<Certificate>)> {
    let h: u64 = piece.iter().map(|&u| u64::from(graph.households[u])).sum();
    let parts = merge_degenerate(graph, grow::grow_regions(graph, centres, piece, band), band);
    let action = if parts.len() == 1 {
        "kept as one grid".to_string()
    } else {
        format!("cut into {} grids under the upper bound", parts.len())
    };
    parts
        .into_iter()
        .map(|p| {
            let ph: u64 = p.iter().map(|&u| u64::from(graph.households[u])).sum();
            let cert = (ph < u64::from(band.min()) || ph > u64::from(band.max())).then(|| Certificate {
                level: level.into(),
                component_households: h,
                feasible_k: tree::feasible_ks(h, band),
                reason: reason.clone(),
                proof,
                remedies: remedies.clone(),
                action: action.clone(),
            });
            (p, cert)
        })
        .collect()
}

/// Regions below a sixth of the lower bound (50 households in the default band: a grid worker for fewer is
/// overhead, not service) join their smallest neighbouring region, even above the upper bound: one grid a
/// little over the band serves better than a degenerate one beside it.
fn merge_degenerate(graph: &UnitGraph, mut parts: Vec<Vec<usize>>, band: Band) -> Vec<Vec<usize>> {
    let floor = u64::from(band.min()) / 6;
    let sum = |p: &[usize]| p.iter().map(|&u| u64::from(graph.households[u])).sum::<u64>();
    loop {
        let mut region = vec![usize::MAX; graph.adj.len()];
        for (i, p) in parts.iter().enumerate() {
            for &u in p {
                region[u] = i;
            }
        }
        let Some(small) = (0..parts.len()).filter(|&i| sum(&parts[i]) < floor).min_by_key(|&i| (sum(&parts[i]), i))
        else {
            return parts;
        };
        let neighbour = parts[small]
            .iter()
            .flat_map(|&u| graph.adj[u].iter().map(|&v| region[v]))
            .filter(|&r| r != usize::MAX && r != small)
            .min_by_key(|&r| (sum(&parts[r]), r));
        let Some(into) = neighbour else { return parts };
        let moved = std::mem::take(&mut parts[small]);
        parts[into].extend(moved);
        parts[into].sort_unstable();
        parts.remove(small);
    }
}

/// The cheapest barrier to cross out of a piece: the neighbouring component's households, the barrier's
/// class and the link length, preferring minor classes, then short links.
pub fn weakest_crossing(
    graph: &UnitGraph,
    links: &[SiteLink],
    piece: &[usize],
    component_of: &[usize],
    component: usize,
    barriers: &[crate::model::Barrier],
) -> Option<(u64, String, f64)> {
    const RANK: [&str; 9] =
        ["stream", "tertiary", "secondary", "primary", "canal", "trunk", "rail", "motorway", "river"];
    let inside: std::collections::HashSet<usize> = piece.iter().copied().collect();
    let mut best: Option<(usize, f64, usize, String)> = None;
    for l in links {
        let Some(b) = l.barrier else { continue };
        let (ua, ub) = (graph.site_unit[l.a], graph.site_unit[l.b]);
        let other = if inside.contains(&ua) && !inside.contains(&ub) {
            ub
        } else if inside.contains(&ub) && !inside.contains(&ua) {
            ua
        } else {
            continue;
        };
        if component_of[other] == component {
            continue;
        }
        let class = barriers[b].class.clone();
        let rank = RANK.iter().position(|c| *c == class).unwrap_or(RANK.len());
        if best.as_ref().is_none_or(|x| (rank, l.length_m) < (x.0, x.1)) {
            best = Some((rank, l.length_m, component_of[other], class));
        }
    }
    let (_, length, other, class) = best?;
    let other_h: u64 =
        (0..graph.adj.len()).filter(|&u| component_of[u] == other).map(|u| u64::from(graph.households[u])).sum();
    Some((other_h, class, length))
}

/// The remedy of crossing the weakest barrier, priced.
pub fn crossing_remedy(h: u64, band: Band, crossing: Option<(u64, String, f64)>) -> Option<String> {
    let (other_h, class, length) = crossing?;
    let merged = h + other_h;
    Some(format!(
        "cross the weakest barrier ({class}, {length:.0} m link) to join the neighbouring piece of {other_h} households: {merged} households{}",
        match tree::feasible_ks(merged, band) {
            Some((a, b)) => format!(", {a}–{b} grids in band"),
            None => ", still not feasible".into(),
        }
    ))
}
