//! `gridplan locate` (issue #14): points in WGS84, GCJ-02 or BD-09 and building ids → grid, micro-grid,
//! community, street, workers; the result file is new, never an overwrite.

use super::util::*;
use geo::InteriorPoint;

#[test]
fn points_in_every_coordinate_system_and_building_ids_find_their_grid() {
    let dir = tempfile::tempdir().unwrap();
    let plan = import_sample(dir.path(), "data");
    let run = dir.path().join("run");
    let o = bin().arg("plan").arg(&plan).arg("--out").arg(&run).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // One interior point per grid outline (WGS84), then the same points in GCJ-02 and BD-09.
    let fc: geojson::FeatureCollection = std::fs::read_to_string(run.join("grids.geojson")).unwrap().parse().unwrap();
    let mut expected = Vec::new();
    let mut points = Vec::new();
    for f in &fc.features {
        let g: geo::Geometry<f64> = f.geometry.clone().unwrap().try_into().unwrap();
        let p = g.interior_point().unwrap();
        points.push((p.x(), p.y()));
        expected.push(f.property("grid_id").unwrap().as_str().unwrap().to_string());
    }
    points.push((0.0, 0.0));
    for (crs, convert) in [
        ("wgs84", (|x, y| (x, y)) as fn(f64, f64) -> (f64, f64)),
        ("gcj02", gridplan::crs::wgs84_to_gcj02),
        ("bd09", gridplan::crs::wgs84_to_bd09),
    ] {
        let csv: String = points.iter().map(|&(x, y)| convert(x, y)).map(|(x, y)| format!("{x:.9},{y:.9}\n")).collect();
        let input = write(dir.path(), &format!("{crs}.csv"), format!("经度,纬度\n{csv}"));
        let out = dir.path().join(format!("{crs}_out.csv"));
        let o = bin().arg("locate").arg(&run).arg(&input).arg("--out").arg(&out).args(["--crs", crs]).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.starts_with("\u{feff}行号,经度,纬度,网格编号,微网格编号,社区,街道,网格员,说明"));
        let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), points.len());
        let hits = rows.iter().zip(&expected).filter(|(r, e)| r[3] == e.as_str()).count();
        // GCJ-02 / BD-09 round trips are exact to ~1 cm: a point near an outline may still fall next door.
        assert!(hits + 1 >= expected.len(), "{crs}: {hits} of {} grids found", expected.len());
        // Every grid has a street and workers; dedicated grids (专属网格) may sit outside any community.
        assert!(rows.iter().take(expected.len()).all(|r| !r[6].is_empty() && r[7] == "1"), "{crs}: street, workers");
        assert_eq!(rows.last().unwrap()[8], "不在任何网格内");
    }
    // Building ids: the grid of assignment.csv.
    let assignment = std::fs::read_to_string(run.join("assignment.csv")).unwrap();
    let units: Vec<(String, String, String)> = assignment
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .map(|c| (c[0].into(), c[3].into(), c[6].into()))
        .collect();
    let ids: String = units.iter().map(|(id, _, _)| format!("{id}\n")).collect();
    let input = write(dir.path(), "ids.csv", format!("编号\n{ids}no-such-building\n"));
    let out = dir.path().join("ids_out.csv");
    let o =
        bin().arg("locate").arg(&run).arg(&input).arg("--out").arg(&out).args(["--id-col", "编号"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    for (r, (id, grid, micro)) in rows.iter().zip(&units) {
        assert_eq!((r[1], r[2], r[3]), (id.as_str(), grid.as_str(), micro.as_str()));
    }
    assert_eq!(rows.last().unwrap()[7], "本次规划中没有这个编号");
    // The result is a new file: an existing one is left as it was.
    let o =
        bin().arg("locate").arg(&run).arg(&input).arg("--out").arg(&out).args(["--id-col", "编号"]).output().unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("已存在"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
}
