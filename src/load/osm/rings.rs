//! Multipolygon and boundary relations → polygons: member ways joined into closed rings by shared node ids.

use super::{Relation, Way};
use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use std::collections::HashMap;

/// Joins member ways into closed rings by shared node ids; outer rings become polygons and each inner
/// ring becomes a hole of the outer ring that contains it.
pub(super) fn assemble(
    rel: &Relation,
    ways: &[Way],
    way_index: &HashMap<i64, usize>,
    coords: &HashMap<i64, (f64, f64)>,
) -> Result<MultiPolygon, String> {
    let mut outer = Vec::new();
    let mut inner = Vec::new();
    for (way_id, role) in &rel.members {
        let Some(&wi) = way_index.get(way_id) else {
            return Err(format!("member way w{way_id} is not in the extract (clipped)"));
        };
        match role.as_str() {
            "inner" => inner.push(ways[wi].refs.clone()),
            "outer" | "" => outer.push(ways[wi].refs.clone()),
            _ => {}
        }
    }
    if outer.is_empty() {
        return Err("no outer ring".into());
    }
    let to_ring = |nodes: Vec<i64>| -> Result<LineString, String> {
        nodes
            .iter()
            .map(|n| {
                coords
                    .get(n)
                    .map(|&(x, y)| Coord { x, y })
                    .ok_or_else(|| format!("node n{n} is not in the extract (clipped)"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(LineString::new)
    };
    let outers = join_rings(outer)?.into_iter().map(to_ring).collect::<Result<Vec<_>, _>>()?;
    let inners = join_rings(inner)?.into_iter().map(to_ring).collect::<Result<Vec<_>, _>>()?;
    let mut polygons: Vec<Polygon> = outers.into_iter().map(|r| Polygon::new(r, vec![])).collect();
    for hole in inners {
        let Some(first) = hole.0.first().copied() else {
            continue;
        };
        if let Some(p) = polygons.iter_mut().find(|p| p.contains(&Point::from(first))) {
            p.interiors_push(hole);
        }
    }
    Ok(MultiPolygon::new(polygons))
}

pub(super) fn join_rings(mut segments: Vec<Vec<i64>>) -> Result<Vec<Vec<i64>>, String> {
    segments.retain(|s| s.len() >= 2);
    let mut rings = Vec::new();
    let mut used = vec![false; segments.len()];
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut ring = segments[start].clone();
        while ring.first() != ring.last() {
            let Some(&end) = ring.last() else { break };
            let next = (0..segments.len())
                .find(|&j| !used[j] && (segments[j].first() == Some(&end) || segments[j].last() == Some(&end)));
            let Some(j) = next else {
                return Err(format!("ring does not close: no member way continues from node n{end}"));
            };
            used[j] = true;
            let mut seg = segments[j].clone();
            if seg.first() != Some(&end) {
                seg.reverse();
            }
            ring.extend_from_slice(&seg[1..]);
        }
        if ring.len() < 4 {
            return Err("ring with fewer than 3 distinct nodes".into());
        }
        rings.push(ring);
    }
    Ok(rings)
}
