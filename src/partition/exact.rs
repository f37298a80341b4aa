//! Exact search for small pieces: every partition of a connected piece into connected parts, each in band,
//! is considered (a dynamic programme over the sets of units still to place), and the best by the 就近就便
//! objective is returned — or, when the search finishes without one, a proof that none exists.
//!
//! The part holding the first unit still to place (units in breadth-first order from the south-west) is
//! enumerated as a connected set containing it, each set exactly once (the extension / forbidden-set scheme of
//! reverse search), pruned by the upper bound (households are positive, so a set over it has no superset in
//! band). What remains must split into components each of which has a feasible number of grids (k·L ≤ H ≤
//! k·U); a remainder that fails is never expanded. Results are memoised per remaining set, per number of
//! parts, so each set is solved once. The number of candidate parts examined is bounded by a budget: a search
//! that reaches it proves nothing and says so.

use super::graph::UnitGraph;
use super::tree::feasible_ks;
use crate::config::Band;
use geo::Point;
use std::collections::HashMap;

/// Pieces with more units than this are not searched exactly (sets are 128-bit masks).
pub const MAX_UNITS: usize = 128;

/// What an exact search ends with.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The best in-band plan with the number of parts nearest the target, then the least household-weighted
    /// distance to the grid centres; `searched` candidate parts were examined.
    Plan {
        /// The parts, units ascending.
        parts: Vec<Vec<usize>>,
        /// Candidate parts examined.
        searched: u64,
    },
    /// The search finished: no partition of the piece into connected in-band parts exists.
    NoPlan {
        /// Candidate parts examined.
        searched: u64,
    },
    /// The budget ran out first (or the piece is too large); nothing is proved.
    GaveUp {
        /// Candidate parts examined.
        searched: u64,
    },
}

/// What the search looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// The best plan by the objective (every plan is considered: cheap up to about 16 units).
    Best,
    /// Any in-band plan, parts near the band's middle first: existence, and a proof when there is none.
    Any,
}

/// Best cost of placing a set, per number of parts (index 0 = `lo` parts), and the first part chosen.
type Table = Vec<Option<(f64, u128)>>;

struct Search {
    households: Vec<u64>,
    points: Vec<Point>,
    adj: Vec<u128>,
    band: Band,
    memo: HashMap<u128, (u64, Table)>,
    dead: std::collections::HashSet<u128>,
    searched: u64,
    budget: u64,
}

/// Searches `piece` (connected in `graph`) exactly, examining at most `budget` candidate parts.
pub fn search(
    graph: &UnitGraph,
    centres: &[Point],
    piece: &[usize],
    band: Band,
    k_target: u64,
    budget: u64,
    goal: Goal,
) -> Outcome {
    if piece.len() > MAX_UNITS {
        return Outcome::GaveUp { searched: 0 };
    }
    let order = sweep_order(graph, centres, piece);
    let local: HashMap<usize, usize> = order.iter().enumerate().map(|(i, &u)| (u, i)).collect();
    let adj = order
        .iter()
        .map(|&u| graph.adj[u].iter().filter_map(|v| local.get(v)).fold(0u128, |m, &j| m | 1 << j))
        .collect();
    let mut s = Search {
        households: order.iter().map(|&u| u64::from(graph.households[u])).collect(),
        points: order.iter().map(|&u| centres[u]).collect(),
        adj,
        band,
        memo: HashMap::new(),
        dead: std::collections::HashSet::new(),
        searched: 0,
        budget,
    };
    let all = if order.len() == 128 { u128::MAX } else { (1u128 << order.len()) - 1 };
    if goal == Goal::Any {
        let mut chain = Vec::new();
        return match s.any(all, &mut chain) {
            None => Outcome::GaveUp { searched: s.searched },
            Some(false) => Outcome::NoPlan { searched: s.searched },
            Some(true) => {
                let mut parts: Vec<Vec<usize>> = chain
                    .into_iter()
                    .rev()
                    .map(|part| {
                        let mut units: Vec<usize> = bits(part).map(|i| order[i]).collect();
                        units.sort_unstable();
                        units
                    })
                    .collect();
                parts.sort();
                Outcome::Plan { parts, searched: s.searched }
            }
        };
    }
    let Some((lo, table)) = s.solve(all) else { return Outcome::GaveUp { searched: s.searched } };
    let best = table.iter().enumerate().filter_map(|(i, c)| c.map(|(cost, _)| (lo + i as u64, cost))).min_by(|a, b| {
        a.0.abs_diff(k_target).cmp(&b.0.abs_diff(k_target)).then(a.1.total_cmp(&b.1)).then(a.0.cmp(&b.0))
    });
    let Some((k, _)) = best else { return Outcome::NoPlan { searched: s.searched } };
    let mut parts = Vec::new();
    let (mut set, mut k) = (all, k);
    while set != 0 {
        let (lo, table) = &s.memo[&set];
        let (_, part) = table[(k - lo) as usize].unwrap_or((0.0, set));
        let mut units: Vec<usize> = bits(part).map(|i| order[i]).collect();
        units.sort_unstable();
        parts.push(units);
        set &= !part;
        k -= 1;
    }
    Outcome::Plan { parts, searched: s.searched }
}

impl Search {
    fn sum(&self, set: u128) -> u64 {
        bits(set).map(|i| self.households[i]).sum()
    }

    /// Household-weighted distance of a part's units to its household-weighted centre (metres × households).
    fn cost(&self, part: u128) -> f64 {
        let (mut w, mut x, mut y) = (0.0, 0.0, 0.0);
        for i in bits(part) {
            let h = self.households[i] as f64;
            w += h;
            x += h * self.points[i].x();
            y += h * self.points[i].y();
        }
        let c = Point::new(x / w, y / w);
        bits(part)
            .map(|i| self.households[i] as f64 * ((self.points[i].x() - c.x()).hypot(self.points[i].y() - c.y())))
            .sum()
    }

    /// Best costs for placing `set` (any number of components, each feasible), or `None` when the budget ran out.
    fn solve(&mut self, set: u128) -> Option<(u64, Table)> {
        if let Some(t) = self.memo.get(&set) {
            return Some(t.clone());
        }
        let Some((lo, hi)) = feasible_ks(self.sum(set), self.band) else { return Some((1, Vec::new())) };
        let mut table: Table = vec![None; (hi + 1).saturating_sub(lo) as usize];
        let root = set.trailing_zeros() as usize;
        let mut candidates = Vec::new();
        self.parts_with(set, 1 << root, self.households[root], self.adj[root] & set, 0, &mut candidates);
        if self.searched > self.budget {
            return None;
        }
        for (part, _) in candidates {
            let rest = set & !part;
            let part_cost = self.cost(part);
            if rest == 0 {
                if lo == 1 && !table.is_empty() && table[0].is_none_or(|(c, _)| part_cost < c) {
                    table[0] = Some((part_cost, part));
                }
                continue;
            }
            if !self.components_feasible(rest) {
                continue;
            }
            let (rlo, rtable) = self.solve(rest)?;
            for (i, r) in rtable.iter().enumerate() {
                let Some((rc, _)) = r else { continue };
                let k = rlo + i as u64 + 1;
                if k < lo || k > hi {
                    continue;
                }
                let slot = &mut table[(k - lo) as usize];
                if slot.is_none_or(|(c, _)| part_cost + rc < c) {
                    *slot = Some((part_cost + rc, part));
                }
            }
        }
        self.memo.insert(set, (lo, table.clone()));
        Some((lo, table))
    }

    /// Whether `set` can be placed; the parts of the plan found are pushed onto `chain`, last first. `None`
    /// when the budget ran out.
    fn any(&mut self, set: u128, chain: &mut Vec<u128>) -> Option<bool> {
        if self.dead.contains(&set) {
            return Some(false);
        }
        let root = set.trailing_zeros() as usize;
        let mut candidates = Vec::new();
        self.parts_with(set, 1 << root, self.households[root], self.adj[root] & set, 0, &mut candidates);
        if self.searched > self.budget {
            return None;
        }
        let middle = u64::from(self.band.min() + self.band.max()) / 2;
        candidates.sort_unstable_by_key(|&(p, sum)| (sum.abs_diff(middle), p));
        for (part, _) in candidates {
            let rest = set & !part;
            if rest == 0 || (self.components_feasible(rest) && self.any(rest, chain)?) {
                chain.push(part);
                return Some(true);
            }
        }
        self.dead.insert(set);
        Some(false)
    }

    /// Every connected part inside `allowed` that contains `part` (grown from the root unit), in band: `frontier` holds
    /// the units that may still join, `forbidden` those whose sets were enumerated already.
    #[allow(clippy::too_many_arguments, reason = "the state of one step of the enumeration")]
    fn parts_with(
        &mut self,
        allowed: u128,
        part: u128,
        sum: u64,
        frontier: u128,
        forbidden: u128,
        out: &mut Vec<(u128, u64)>,
    ) {
        self.searched += 1;
        if self.searched > self.budget {
            return;
        }
        if sum >= u64::from(self.band.min()) {
            out.push((part, sum));
        }
        let mut forbidden = forbidden;
        let mut rest = frontier;
        while rest != 0 {
            let v = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            forbidden |= 1 << v;
            if sum + self.households[v] > u64::from(self.band.max()) {
                continue;
            }
            let next = part | 1 << v;
            let grown = (rest | (self.adj[v] & allowed)) & !next & !forbidden;
            self.parts_with(allowed, next, sum + self.households[v], grown, forbidden, out);
        }
    }

    /// Whether every connected component of `set` can be cut into in-band grids by the k-window arithmetic.
    fn components_feasible(&self, set: u128) -> bool {
        let mut left = set;
        while left != 0 {
            let mut comp = left & left.wrapping_neg();
            loop {
                let grown = bits(comp).fold(comp, |m, i| m | (self.adj[i] & set));
                if grown == comp {
                    break;
                }
                comp = grown;
            }
            if feasible_ks(self.sum(comp), self.band).is_none() {
                return false;
            }
            left &= !comp;
        }
        true
    }
}

/// The set bits of a mask, lowest first.
fn bits(mut m: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (m != 0).then(|| {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            i
        })
    })
}

/// Units in breadth-first order from the south-west-most one (neighbours by id), so the first unit still to
/// place is on the edge of what remains and the remainder tends to stay in one piece.
fn sweep_order(graph: &UnitGraph, centres: &[Point], piece: &[usize]) -> Vec<usize> {
    let inside: std::collections::BTreeSet<usize> = piece.iter().copied().collect();
    let start = piece.iter().copied().min_by(|&a, &b| {
        (centres[a].x() + centres[a].y()).total_cmp(&(centres[b].x() + centres[b].y())).then(a.cmp(&b))
    });
    let mut order = Vec::with_capacity(piece.len());
    let mut seen = std::collections::BTreeSet::new();
    let mut queue = std::collections::VecDeque::new();
    for s in start.into_iter().chain(piece.iter().copied()) {
        if !seen.insert(s) {
            continue;
        }
        queue.push_back(s);
        while let Some(u) = queue.pop_front() {
            order.push(u);
            for &v in &graph.adj[u] {
                if inside.contains(&v) && seen.insert(v) {
                    queue.push_back(v);
                }
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A `w × h` lattice with some links removed, households per unit.
    fn lattice(w: usize, h: usize, households: &[u32], cut: &[bool]) -> (UnitGraph, Vec<Point>) {
        let n = w * h;
        let mut adj = vec![Vec::new(); n];
        let mut e = 0;
        for y in 0..h {
            for x in 0..w {
                let u = y * w + x;
                for v in [(x + 1 < w).then(|| u + 1), (y + 1 < h).then(|| u + w)].into_iter().flatten() {
                    if !cut.get(e).copied().unwrap_or(false) {
                        adj[u].push(v);
                        adj[v].push(u);
                    }
                    e += 1;
                }
            }
        }
        for a in &mut adj {
            a.sort_unstable();
        }
        let centres = (0..n).map(|u| Point::new((u % w) as f64 * 100.0, (u / w) as f64 * 100.0)).collect();
        let g = UnitGraph {
            unit_sites: (0..n).map(|u| vec![u]).collect(),
            site_unit: (0..n).collect(),
            households: households[..n].to_vec(),
            adj,
        };
        (g, centres)
    }

    fn connected(g: &UnitGraph, part: &[usize]) -> bool {
        crate::partition::undersize::sub_components(g, part).len() == 1
    }

    /// Every set partition of `units` (restricted growth strings), connected parts in band only: the count of
    /// plans per number of parts, and the least cost for each.
    fn brute_force(g: &UnitGraph, centres: &[Point], units: &[usize], band: Band) -> Vec<(u64, f64)> {
        let n = units.len();
        let mut labels = vec![0usize; n];
        let mut best: std::collections::BTreeMap<u64, f64> = std::collections::BTreeMap::new();
        loop {
            let k = labels.iter().max().map_or(0, |m| m + 1);
            let parts: Vec<Vec<usize>> =
                (0..k).map(|p| (0..n).filter(|&i| labels[i] == p).map(|i| units[i]).collect()).collect();
            let ok = parts.iter().all(|p| {
                let h: u64 = p.iter().map(|&u| u64::from(g.households[u])).sum();
                h >= u64::from(band.min()) && h <= u64::from(band.max()) && connected(g, p)
            });
            if ok {
                let cost: f64 = parts.iter().map(|p| plan_cost(g, centres, p)).sum();
                let e = best.entry(k as u64).or_insert(f64::INFINITY);
                *e = e.min(cost);
            }
            // Next restricted growth string.
            let mut i = n;
            loop {
                if i == 1 {
                    return best.into_iter().collect();
                }
                i -= 1;
                let max_before = labels[..i].iter().max().copied().unwrap_or(0);
                if labels[i] <= max_before {
                    labels[i] += 1;
                    labels[i + 1..].iter_mut().for_each(|l| *l = 0);
                    break;
                }
            }
        }
    }

    fn plan_cost(g: &UnitGraph, centres: &[Point], part: &[usize]) -> f64 {
        let w: f64 = part.iter().map(|&u| f64::from(g.households[u])).sum();
        let x = part.iter().map(|&u| f64::from(g.households[u]) * centres[u].x()).sum::<f64>() / w;
        let y = part.iter().map(|&u| f64::from(g.households[u]) * centres[u].y()).sum::<f64>() / w;
        part.iter().map(|&u| f64::from(g.households[u]) * (centres[u].x() - x).hypot(centres[u].y() - y)).sum()
    }

    #[test]
    fn the_issue_example_is_found() {
        // 先锋路街道第1社区: seven units in a row; the tree method gave 398 / 185 / 402 / 448.
        let (g, c) = lattice(7, 1, &[448, 66, 66, 178, 185, 88, 402], &[]);
        let band = Band::new(300, 500).unwrap();
        let Outcome::Plan { parts, .. } = search(&g, &c, &[0, 1, 2, 3, 4, 5, 6], band, 4, 10_000, Goal::Best) else {
            panic!()
        };
        let sums: Vec<u32> = parts.iter().map(|p| p.iter().map(|&u| g.households[u]).sum()).collect();
        assert_eq!(sums, vec![448, 495, 490], "{parts:?}");
    }

    #[test]
    fn no_plan_is_a_proof_and_a_small_budget_proves_nothing() {
        let (g, c) = lattice(3, 1, &[200, 350, 200], &[]);
        let band = Band::new(300, 500).unwrap();
        assert!(matches!(search(&g, &c, &[0, 1, 2], band, 2, 1000, Goal::Best), Outcome::NoPlan { .. }));
        let (g, c) = lattice(4, 4, &[60; 16], &[]);
        assert!(matches!(search(&g, &c, &(0..16).collect::<Vec<_>>(), band, 2, 3, Goal::Any), Outcome::GaveUp { .. }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Against every set partition: a plan exactly when brute force has one, with the number of parts
        /// nearest the target among those brute force finds, and the least cost for it.
        #[test]
        fn agrees_with_brute_force(
            w in 2usize..4, h in 1usize..4,
            households in proptest::collection::vec(20u32..420, 9),
            cut in proptest::collection::vec(proptest::bool::weighted(0.15), 12),
        ) {
            let (g, c) = lattice(w, h, &households, &cut);
            let band = Band::new(300, 500).unwrap();
            for piece in g.components() {
                let total: u64 = piece.iter().map(|&u| u64::from(g.households[u])).sum();
                let target = crate::partition::tree::choose_k(total, band).unwrap_or(1);
                let reference = brute_force(&g, &c, &piece, band);
                let any = search(&g, &c, &piece, band, target, 1_000_000, Goal::Any);
                match &any {
                    Outcome::Plan { parts, .. } => {
                        prop_assert!(!reference.is_empty());
                        let mut covered: Vec<usize> = parts.concat();
                        covered.sort_unstable();
                        prop_assert_eq!(&covered, &piece);
                        for p in parts {
                            let s: u64 = p.iter().map(|&u| u64::from(g.households[u])).sum();
                            prop_assert!((300..=500).contains(&s) && connected(&g, p));
                        }
                    }
                    Outcome::NoPlan { .. } => prop_assert!(reference.is_empty(), "brute force found {:?}", reference),
                    Outcome::GaveUp { .. } => prop_assert!(false, "gave up on {} units", piece.len()),
                }
                match search(&g, &c, &piece, band, target, 1_000_000, Goal::Best) {
                    Outcome::Plan { parts, .. } => {
                        let k = parts.len() as u64;
                        let nearest = reference.iter().map(|&(k, _)| k.abs_diff(target)).min();
                        prop_assert_eq!(Some(k.abs_diff(target)), nearest);
                        let mut covered: Vec<usize> = parts.concat();
                        covered.sort_unstable();
                        prop_assert_eq!(&covered, &piece);
                        for p in &parts {
                            let s: u64 = p.iter().map(|&u| u64::from(g.households[u])).sum();
                            prop_assert!((300..=500).contains(&s) && connected(&g, p));
                        }
                        let cost: f64 = parts.iter().map(|p| plan_cost(&g, &c, p)).sum();
                        let best = reference.iter().find(|r| r.0 == k).map(|r| r.1).unwrap_or(f64::NAN);
                        prop_assert!((cost - best).abs() < 1e-6 * best.max(1.0), "{} vs {}", cost, best);
                    }
                    Outcome::NoPlan { .. } => prop_assert!(reference.is_empty(), "brute force found {:?}", reference),
                    Outcome::GaveUp { .. } => prop_assert!(false, "gave up on {} units", piece.len()),
                }
            }
        }
    }
}
