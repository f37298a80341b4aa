//! Least-change repair of a previous plan on one community's unit graph: every part (a previous grid's units)
//! that is out of band or in pieces is mended by the fewest households moved across its edge — pieces joined
//! to a neighbour, units handed to neighbours with room, units pulled from neighbours with slack, small grids
//! merged or dissolved, large ones split — and every other part is left exactly as it was. Moves follow
//! unit-graph links only, so no move crosses a hard barrier and compounds move whole. Among moves of equal
//! cost the one nearest the receiving grid's centre wins (就近就便). Deterministic: parts and units in ascending
//! order.

use super::super::graph::UnitGraph;
use crate::config::Band;
use geo::Point;
use std::collections::BTreeSet;

/// How many more households a move may cost in a merge (多网合一) when it keeps more legacy grids together.
const SOFT_HOUSEHOLDS: u64 = 10;

/// One part being repaired: the previous grid it continues (`None` for a new grid) and its units.
#[derive(Debug, Clone)]
pub struct Part {
    /// Index of the previous grid it keeps, if any.
    pub label: Option<usize>,
    /// Its units.
    pub units: BTreeSet<usize>,
}

/// The state of a repair: parts, the part of each unit, households per part, the budget.
pub struct Repair<'a> {
    graph: &'a UnitGraph,
    centres: &'a [Point],
    /// Households of each unit's sites that were in each previous grid: `cost[u]` lists (label, households).
    previous: &'a [Vec<(usize, u64)>],
    /// Each unit's main grid in each layer a merge prefers (empty outside a merge).
    prefer: &'a [Vec<Option<usize>>],
    /// Each part's main grid in each preferred layer, as the repair found it.
    part_prefer: Vec<Vec<Option<usize>>>,
    band: Band,
    pub parts: Vec<Part>,
    part_of: Vec<usize>,
    sums: Vec<u64>,
    /// Households the repair may still move; `u64::MAX` without a budget.
    budget: u64,
    /// Whether a move was refused for the budget.
    pub stopped_by_budget: bool,
}

impl<'a> Repair<'a> {
    /// Starts from `parts` (every unit of `graph` in exactly one).
    pub fn new(
        graph: &'a UnitGraph,
        centres: &'a [Point],
        previous: &'a [Vec<(usize, u64)>],
        prefer: &'a [Vec<Option<usize>>],
        band: Band,
        parts: Vec<Part>,
        budget: u64,
    ) -> Repair<'a> {
        let mut part_of = vec![usize::MAX; graph.adj.len()];
        let mut sums = vec![0; parts.len()];
        for (i, p) in parts.iter().enumerate() {
            for &u in &p.units {
                part_of[u] = i;
                sums[i] += u64::from(graph.households[u]);
            }
        }
        let layers = prefer.first().map_or(0, Vec::len);
        let part_prefer = parts
            .iter()
            .map(|p| {
                (0..layers)
                    .map(|k| {
                        let mut by: std::collections::BTreeMap<usize, u64> = std::collections::BTreeMap::new();
                        for &u in &p.units {
                            if let Some(l) = prefer[u][k] {
                                *by.entry(l).or_default() += u64::from(graph.households[u]);
                            }
                        }
                        by.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(l, _)| l)
                    })
                    .collect()
            })
            .collect();
        Repair {
            graph,
            centres,
            previous,
            prefer,
            part_prefer,
            band,
            parts,
            part_of,
            sums,
            budget,
            stopped_by_budget: false,
        }
    }

    /// Preferred layers in which unit `u` shares its main legacy grid with part `p`: a merge's soft rule.
    fn agrees(&self, u: usize, p: usize) -> i64 {
        let Some(mine) = self.prefer.get(u) else { return 0 };
        let theirs = self.part_prefer.get(p);
        mine.iter().enumerate().filter(|(k, l)| l.is_some() && theirs.and_then(|t| t.get(*k)) == Some(*l)).count()
            as i64
    }

    /// Households the repair may still move.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Households of unit `u` that would be in another grid than their previous one under `label`.
    fn cost(&self, u: usize, label: Option<usize>) -> u64 {
        self.previous[u].iter().filter(|(l, _)| Some(*l) != label).map(|&(_, h)| h).sum()
    }

    /// Households moved when `units` go from part `a` to part `b` (negative when they go home).
    fn delta(&self, units: &[usize], a: usize, b: usize) -> i64 {
        units.iter().map(|&u| self.cost(u, self.parts[b].label) as i64 - self.cost(u, self.parts[a].label) as i64).sum()
    }

    fn households(&self, units: &[usize]) -> u64 {
        units.iter().map(|&u| u64::from(self.graph.households[u])).sum()
    }

    fn in_band(&self, h: u64) -> bool {
        h >= u64::from(self.band.min()) && h <= u64::from(self.band.max())
    }

    /// Squared distance from unit `u` to the household-weighted centre of part `p`.
    fn distance2(&self, u: usize, p: usize) -> f64 {
        let (mut x, mut y, mut w) = (0.0, 0.0, 0.0);
        for &v in &self.parts[p].units {
            let k = f64::from(self.graph.households[v]).max(1.0);
            x += self.centres[v].x() * k;
            y += self.centres[v].y() * k;
            w += k;
        }
        if w == 0.0 {
            return 0.0;
        }
        (self.centres[u].x() - x / w).powi(2) + (self.centres[u].y() - y / w).powi(2)
    }

    /// Moves `units` from part `a` to part `b` if the budget allows; true when done.
    fn shift(&mut self, units: &[usize], a: usize, b: usize) -> bool {
        let d = self.delta(units, a, b);
        if d > 0 && d as u64 > self.budget {
            self.stopped_by_budget = true;
            return false;
        }
        self.budget = if d >= 0 { self.budget - d as u64 } else { self.budget.saturating_add(d.unsigned_abs()) };
        let h = self.households(units);
        for &u in units {
            self.parts[a].units.remove(&u);
            self.parts[b].units.insert(u);
            self.part_of[u] = b;
        }
        self.sums[a] -= h;
        self.sums[b] += h;
        true
    }

    /// Parts next to `units`, ascending.
    fn neighbours(&self, units: &[usize], own: usize) -> Vec<usize> {
        let set: BTreeSet<usize> = units
            .iter()
            .flat_map(|&u| self.graph.adj[u].iter().map(|&v| self.part_of[v]))
            .filter(|&p| p != own && p != usize::MAX)
            .collect();
        set.into_iter().collect()
    }

    /// Connected pieces of part `p`, largest (households) first, ties by smallest unit.
    fn pieces(&self, p: usize) -> Vec<Vec<usize>> {
        let units: Vec<usize> = self.parts[p].units.iter().copied().collect();
        let mut pieces = super::super::undersize::sub_components(self.graph, &units);
        for piece in &mut pieces {
            piece.sort_unstable();
        }
        pieces.sort_by(|a, b| self.households(b).cmp(&self.households(a)).then(a[0].cmp(&b[0])));
        pieces
    }

    /// Whether part `p` stays connected without unit `u`.
    fn connected_without(&self, p: usize, u: usize) -> bool {
        let rest: Vec<usize> = self.parts[p].units.iter().copied().filter(|&v| v != u).collect();
        rest.is_empty() || super::super::undersize::sub_components(self.graph, &rest).len() == 1
    }

    /// Repairs until nothing improves (at most `rounds` sweeps).
    pub fn run(&mut self, rounds: usize) {
        for _ in 0..rounds {
            let mut changed = false;
            for p in 0..self.parts.len() {
                changed |= self.join_pieces(p);
            }
            for p in 0..self.parts.len() {
                if self.sums[p] > u64::from(self.band.max()) {
                    changed |= self.shed(p);
                }
            }
            for p in 0..self.parts.len() {
                if !self.parts[p].units.is_empty() && self.sums[p] < u64::from(self.band.min()) {
                    changed |= self.fill(p) || self.merge_or_dissolve(p);
                }
            }
            if !changed {
                break;
            }
        }
        self.return_home(rounds);
        self.parts.retain(|p| !p.units.is_empty());
    }

    /// A merge's soft rule (多网合一): moves edge units to the neighbouring grid that shares their legacy grid in
    /// more of the preferred layers — each move paid from the budget (`--max-moved`), so the base plan changes
    /// only as far as the planner allows.
    pub fn gather_layers(&mut self, rounds: usize) -> bool {
        if self.prefer.first().is_none_or(Vec::is_empty) {
            return false;
        }
        self.sweep(rounds, |r, u, a| {
            let (here, room) = (
                r.agrees(u, a),
                u64::from(r.band.max()) - u64::from(r.graph.households[u]).min(u64::from(r.band.max())),
            );
            r.neighbours(&[u], a)
                .into_iter()
                .filter(|&b| r.agrees(u, b) > here && r.sums[b] <= room)
                .max_by(|&x, &y| r.agrees(u, x).cmp(&r.agrees(u, y)).then(y.cmp(&x)))
        })
    }

    /// Sends units back to the grid most of their households were in before, where that grid is a neighbour:
    /// after a fresh plan of a component, most of its moves were not needed.
    pub fn return_home(&mut self, rounds: usize) -> bool {
        self.sweep(rounds, |r, u, a| {
            let &(home, _) = r.previous[u].iter().max_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(&x.0)))?;
            if r.parts[a].label == Some(home) {
                return None;
            }
            r.neighbours(&[u], a)
                .into_iter()
                .find(|&b| r.parts[b].label == Some(home))
                .filter(|&b| r.delta(&[u], a, b) < 0)
        })
    }

    /// Sweeps the units in ascending order, moving each to the part `target` names where both parts stay in
    /// band and the one left stays connected, until a sweep moves nothing (at most `rounds` sweeps). Returns
    /// whether anything moved.
    fn sweep(&mut self, rounds: usize, target: impl Fn(&Self, usize, usize) -> Option<usize>) -> bool {
        let (min, max) = (u64::from(self.band.min()), u64::from(self.band.max()));
        let mut any = false;
        for _ in 0..rounds {
            let mut moved = false;
            for u in 0..self.graph.adj.len() {
                let a = self.part_of[u];
                if a == usize::MAX || self.parts[a].units.len() <= 1 {
                    continue;
                }
                let h = u64::from(self.graph.households[u]);
                let Some(b) = target(self, u, a) else { continue };
                let fits = (min..=max).contains(&(self.sums[b] + h)) && self.sums[a] >= min + h;
                if fits && self.connected_without(a, u) && self.shift(&[u], a, b) {
                    moved = true;
                }
            }
            any |= moved;
            if !moved {
                break;
            }
        }
        any
    }

    /// A part in pieces keeps its largest; each other piece joins the neighbour it fits best, or becomes a
    /// new part when none has room.
    fn join_pieces(&mut self, p: usize) -> bool {
        let pieces = self.pieces(p);
        let mut changed = false;
        for piece in pieces.into_iter().skip(1) {
            let h = self.households(&piece);
            let best = self
                .neighbours(&piece, p)
                .into_iter()
                .filter(|&b| self.sums[b] + h <= u64::from(self.band.max()))
                .min_by(|&x, &y| {
                    let key = |b: usize| {
                        let agree: i64 = -piece.iter().map(|&u| self.agrees(u, b)).sum::<i64>();
                        (!self.in_band(self.sums[b] + h), self.delta(&piece, p, b), agree)
                    };
                    key(x).cmp(&key(y)).then(self.distance2(piece[0], x).total_cmp(&self.distance2(piece[0], y)))
                });
            match best {
                Some(b) => changed |= self.shift(&piece, p, b),
                None => {
                    self.parts.push(Part { label: None, units: BTreeSet::new() });
                    self.sums.push(0);
                    let new = self.parts.len() - 1;
                    changed |= self.shift(&piece, p, new);
                }
            }
        }
        changed
    }

    /// Hands edge units of an over-full part to neighbours with room, the fewest households first that bring
    /// it under the upper bound.
    fn shed(&mut self, p: usize) -> bool {
        let mut changed = false;
        while self.sums[p] > u64::from(self.band.max()) {
            let excess = self.sums[p] - u64::from(self.band.max());
            let Some((u, b)) = self.best_edge_move(p, excess, true) else { break };
            if !self.shift(&[u], p, b) {
                break;
            }
            changed = true;
        }
        changed
    }

    /// Pulls edge units of neighbours with slack into an under-full part.
    fn fill(&mut self, p: usize) -> bool {
        let mut changed = false;
        while self.sums[p] < u64::from(self.band.min()) {
            let deficit = u64::from(self.band.min()) - self.sums[p];
            let Some((u, a)) = self.best_edge_move(p, deficit, false) else { break };
            if !self.shift(&[u], a, p) {
                break;
            }
            changed = true;
        }
        changed
    }

    /// The best single-unit move across part `p`'s edge: out of `p` (`outward`) into a neighbour with room, or
    /// into `p` from a neighbour with slack; the giver stays connected and in band or above it. A unit that
    /// covers `need` alone is preferred (the smallest such), else the largest; then fewer households moved,
    /// then 就近就便. Returns (unit, the other part).
    fn best_edge_move(&self, p: usize, need: u64, outward: bool) -> Option<(usize, usize)> {
        let (min, max) = (u64::from(self.band.min()), u64::from(self.band.max()));
        // (covers nothing alone, size order, households moved, legacy layers split, distance²), unit, other part.
        type Key = (bool, u64, i64, i64, f64);
        let mut best: Option<(Key, usize, usize)> = None;
        let candidates: Vec<(usize, usize)> = if outward {
            let units: Vec<usize> = self.parts[p].units.iter().copied().collect();
            units.iter().flat_map(|&u| self.neighbours(&[u], p).into_iter().map(move |b| (u, b))).collect()
        } else {
            let mut v = Vec::new();
            for &u in &self.parts[p].units {
                for &w in &self.graph.adj[u] {
                    let a = self.part_of[w];
                    if a != p && a != usize::MAX {
                        v.push((w, a));
                    }
                }
            }
            v.sort_unstable();
            v.dedup();
            v
        };
        for (u, other) in candidates {
            let h = u64::from(self.graph.households[u]);
            let (giver, taker) = if outward { (p, other) } else { (other, p) };
            let fits = self.sums[taker] + h <= max && self.parts[giver].units.len() > 1;
            // The giver may not drop below the band.
            let giver_ok = self.sums[giver] >= min + h;
            if !fits || !giver_ok || !self.connected_without(giver, u) {
                continue;
            }
            let covers = h >= need;
            let size_key = if covers { h } else { u64::MAX - h };
            let split = self.agrees(u, giver) - self.agrees(u, taker);
            let key = (!covers, size_key, self.delta(&[u], giver, taker), split, self.distance2(u, taker));
            let better = match &best {
                None => true,
                // A merge's soft rule: between units that differ by at most SOFT_HOUSEHOLDS, the one that
                // keeps more legacy grids together wins, then the smaller.
                Some((k, _, _)) if key.0 == k.0 && key.1.abs_diff(k.1) <= SOFT_HOUSEHOLDS && key.3 != k.3 => {
                    key.3 < k.3
                }
                Some((k, _, _)) => {
                    (key.0, key.1, key.2, key.3).cmp(&(k.0, k.1, k.2, k.3)).then(key.4.total_cmp(&k.4)).is_lt()
                }
            };
            if better {
                best = Some((key, u, other));
            }
        }
        best.map(|(_, u, other)| (u, other))
    }

    /// An under-full part that cannot be filled: merged into a neighbour with room for all of it (the label
    /// of the larger kept), else dissolved unit by unit into neighbours with room.
    fn merge_or_dissolve(&mut self, p: usize) -> bool {
        let units: Vec<usize> = self.parts[p].units.iter().copied().collect();
        let h = self.sums[p];
        let max = u64::from(self.band.max());
        let merge = self
            .neighbours(&units, p)
            .into_iter()
            .filter(|&b| self.sums[b] + h <= max)
            .min_by(|&x, &y| self.delta(&units, p, x).cmp(&self.delta(&units, p, y)).then(x.cmp(&y)));
        if let Some(b) = merge {
            if self.sums[b] < h {
                // The larger part's id stays: the smaller one's households are the ones that move.
                let theirs: Vec<usize> = self.parts[b].units.iter().copied().collect();
                return self.shift(&theirs, b, p);
            }
            return self.shift(&units, p, b);
        }
        let mut changed = false;
        loop {
            let mut moved = false;
            let units: Vec<usize> = self.parts[p].units.iter().copied().collect();
            for u in units {
                let hu = u64::from(self.graph.households[u]);
                let to = self.neighbours(&[u], p).into_iter().filter(|&b| self.sums[b] + hu <= max).min_by(|&x, &y| {
                    (self.agrees(u, y).cmp(&self.agrees(u, x)))
                        .then(self.distance2(u, x).total_cmp(&self.distance2(u, y)))
                        .then(x.cmp(&y))
                });
                if let Some(b) = to
                    && self.connected_without(p, u)
                    && self.shift(&[u], p, b)
                {
                    moved = true;
                }
            }
            changed |= moved;
            if !moved || self.parts[p].units.is_empty() {
                break;
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::graph::{SiteLink, UnitGraph};

    /// A path of units with these households, each its own previous grid label given by `labels`.
    fn path(households: &[u32]) -> (UnitGraph, Vec<Point>) {
        let links: Vec<SiteLink> =
            (1..households.len()).map(|i| SiteLink { a: i - 1, b: i, length_m: 10.0, barrier: None }).collect();
        let none = vec![None; households.len()];
        let g = UnitGraph::build(households, &none, &none, &links, u32::MAX);
        let centres = (0..households.len()).map(|i| Point::new(i as f64 * 10.0, 0.0)).collect();
        (g, centres)
    }

    fn parts(labels: &[usize]) -> Vec<Part> {
        let n = labels.iter().max().map_or(0, |m| m + 1);
        (0..n)
            .map(|l| Part { label: Some(l), units: (0..labels.len()).filter(|&u| labels[u] == l).collect() })
            .collect()
    }

    fn previous(g: &UnitGraph, labels: &[usize]) -> Vec<Vec<(usize, u64)>> {
        (0..labels.len()).map(|u| vec![(labels[u], u64::from(g.households[u]))]).collect()
    }

    #[test]
    fn an_over_full_grid_hands_its_edge_unit_to_the_neighbour_with_room_and_nothing_else_moves() {
        // Grids 0 | 1 | 2: 100+100+100+150 = 450 (over 400 after growth), 100+100 = 200, 300.
        let h = [100, 100, 100, 150, 100, 100, 300];
        let labels = [0, 0, 0, 0, 1, 1, 2];
        let (g, c) = path(&h);
        let prev = previous(&g, &labels);
        let band = Band::new(150, 400).unwrap();
        let mut r = Repair::new(&g, &c, &prev, &[], band, parts(&labels), u64::MAX);
        r.run(10);
        let sums: Vec<u64> =
            r.parts.iter().map(|p| r.households(&p.units.iter().copied().collect::<Vec<_>>())).collect();
        assert_eq!(sums, [300, 350, 300]);
        assert!(r.parts[2].units.contains(&6) && r.parts[1].units.contains(&3));
    }

    #[test]
    fn a_grid_in_two_pieces_gives_the_small_piece_to_its_neighbour_and_the_budget_can_stop_it() {
        // Grid 0 holds units 0 and 2 around grid 1's unit 1.
        let h = [200, 200, 50];
        let labels = [0, 1, 0];
        let (g, c) = path(&h);
        let prev = previous(&g, &labels);
        let band = Band::new(100, 400).unwrap();
        let mut r = Repair::new(&g, &c, &prev, &[], band, parts(&labels), u64::MAX);
        r.run(10);
        assert!(r.parts[1].units.contains(&2), "the 50-household piece joins grid 1");
        let mut r = Repair::new(&g, &c, &prev, &[], band, parts(&labels), 10);
        r.run(10);
        assert!(r.stopped_by_budget && r.parts[0].units.contains(&2));
    }

    #[test]
    fn an_under_full_grid_takes_from_a_neighbour_with_slack_else_merges() {
        let band = Band::new(300, 500).unwrap();
        // 0: 250 (under), 1: 100+400 = 500 with slack 200 at its edge unit of 100.
        let h = [250, 100, 400];
        let labels = [0, 1, 1];
        let (g, c) = path(&h);
        let prev = previous(&g, &labels);
        let mut r = Repair::new(&g, &c, &prev, &[], band, parts(&labels), u64::MAX);
        r.run(10);
        assert_eq!(r.parts[0].units, BTreeSet::from([0, 1]));
        // 0: 100 (under), 1: 350: no slack, merged; the smaller grid's households move.
        let h = [100, 350];
        let labels = [0, 1];
        let (g, c) = path(&h);
        let prev = previous(&g, &labels);
        let mut r = Repair::new(&g, &c, &prev, &[], band, parts(&labels), u64::MAX);
        r.run(10);
        assert_eq!(r.parts.len(), 1);
        assert_eq!(r.parts[0].label, Some(1));
    }
}
