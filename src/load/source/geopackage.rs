//! GeoPackage layers (`.gpkg`, QGIS's default format): a SQLite file read with `rusqlite`, read-only. The
//! feature table is the layer's `layer`, or the file's only one; its geometry column comes from
//! `gpkg_geometry_columns`, each blob's header is checked and its WKB read by `wkb`. Coordinates stay in the
//! file's own CRS, which is the layer's `crs` (the plan's when absent): an EPSG 4326/4490 file says so itself, and
//! a file in a projected CRS is refused with its code named, since gridplan takes lon/lat.

use super::{Item, LoadError, ReadOptions, Record, Table};
use crate::config::{DecimalMark, Format};
use geo_traits::to_geo::ToGeoGeometry;
use rusqlite::{Connection, OpenFlags, types::ValueRef};
use serde_json::{Map, Value};
use std::path::Path;

/// Reads one feature table of a GeoPackage.
pub fn read_geopackage(path: &Path, options: &ReadOptions) -> Result<Table, LoadError> {
    let bytes = std::fs::read(path).map_err(|cause| LoadError::Io { path: path.to_path_buf(), cause })?;
    let sha256 = super::sha256_hex(&bytes);
    if !bytes.starts_with(b"SQLite format 3\0") {
        return Err(LoadError::data(path, None, None, None, "not a GeoPackage: the file is not a SQLite database"));
    }
    drop(bytes);
    let bad = |item: Option<Item>, field: Option<&str>, rule: String| LoadError::data(path, item, field, None, rule);
    let sql = |e: rusqlite::Error| bad(None, None, format!("not a readable GeoPackage: {e}"));
    // `immutable=1`: SQLite takes no lock and creates no `-wal`/`-shm`/journal file beside the planner's file,
    // even for a GeoPackage QGIS left in WAL mode — reading never writes into their folder.
    let uri = format!(
        "file:{}?immutable=1",
        path.display().to_string().replace('%', "%25").replace('?', "%3f").replace('#', "%23")
    );
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = Connection::open_with_flags(uri, flags).map_err(sql)?;
    let tables: Vec<(String, String, i64)> = db
        .prepare(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.table_name",
        )
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
        .map_err(|e| bad(None, None, format!("not a GeoPackage: no feature tables listed ({e})")))?;
    let names = || tables.iter().map(|t| t.0.as_str()).collect::<Vec<_>>().join(", ");
    let (table, geom_col, srs_id) = match &options.layer {
        Some(want) => tables.iter().find(|t| &t.0 == want).cloned().ok_or_else(|| {
            bad(None, None, format!("no feature table {want:?} in this GeoPackage; it has: {}", names()))
        })?,
        None if tables.len() == 1 => tables[0].clone(),
        None if tables.is_empty() => return Err(bad(None, None, "the GeoPackage has no feature table".into())),
        None => {
            return Err(bad(
                None,
                None,
                format!("the GeoPackage has several feature tables ({}): name one with layer = \"…\"", names()),
            ));
        }
    };
    let code: Option<(String, i64)> = db
        .query_row(
            "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    if let Some((org, id)) = &code
        && org.eq_ignore_ascii_case("EPSG")
        && ![4326, 4490, 4479, 4480].contains(id)
    {
        return Err(bad(
            None,
            None,
            format!(
                "table {table} is in EPSG:{id}, a projected or other CRS: gridplan reads lon/lat (WGS84 EPSG:4326, CGCS2000 EPSG:4490, or GCJ-02/BD-09 set with crs); reproject it first, e.g. ogr2ogr -t_srs EPSG:4326"
            ),
        ));
    }
    let quote = |n: &str| format!("\"{}\"", n.replace('"', "\"\""));
    let mut stmt = db.prepare(&format!("SELECT * FROM {}", quote(&table))).map_err(sql)?;
    let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
    let geom_index = columns.iter().position(|c| c == &geom_col);
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut records = Vec::new();
    let mut n = 0usize;
    while let Some(row) = rows.next().map_err(sql)? {
        let item = Item::Feature(n, None);
        let mut props = Map::new();
        let mut geometry = None;
        for (i, c) in columns.iter().enumerate() {
            let v = row.get_ref(i).map_err(sql)?;
            if Some(i) == geom_index {
                geometry = match v {
                    ValueRef::Null => None,
                    ValueRef::Blob(b) => {
                        geometry_of(b).map_err(|rule| bad(Some(item.clone()), Some(c), rule.to_string()))?
                    }
                    _ => return Err(bad(Some(item), Some(c), "the geometry column holds no geometry blob".into())),
                };
                continue;
            }
            let value = match v {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(x) => Value::from(x),
                ValueRef::Real(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
                ValueRef::Text(t) => Value::String(String::from_utf8(t.to_vec()).map_err(|_| {
                    bad(Some(item.clone()), Some(c), "text that is not UTF-8 (a GeoPackage stores UTF-8)".into())
                })?),
                // Binary columns are not values gridplan reads; left out (named if a field asks for one).
                ValueRef::Blob(_) => continue,
            };
            props.insert(c.clone(), value);
        }
        records.push(Record { item, geometry, props, feature_id: None });
        n += 1;
    }
    let columns: Vec<String> = columns.into_iter().filter(|c| c != &geom_col).collect();
    Ok(Table {
        path: path.to_path_buf(),
        sha256,
        format: Format::Geopackage,
        columns: Some(columns),
        records,
        decimal: DecimalMark::Point,
        unreadable: Vec::new(),
        notes: Vec::new(),
        attribution: None,
    })
}

/// The geometry of a GeoPackage blob: magic `GP`, version, flags (byte order, envelope size, empty), SRS id,
/// envelope, then standard WKB.
fn geometry_of(b: &[u8]) -> Result<Option<geo::Geometry<f64>>, &'static str> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err("not a GeoPackage geometry blob (no GP header)");
    }
    let flags = b[3];
    if flags & 0b0010_0000 != 0 {
        return Err("an extended GeoPackage geometry, which gridplan does not read");
    }
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return Err("a GeoPackage geometry with an invalid envelope code"),
    };
    if flags & 0b0001_0000 != 0 {
        return Ok(None);
    }
    let wkb_bytes = b.get(8 + envelope..).ok_or("a GeoPackage geometry blob shorter than its header")?;
    let wkb = wkb::reader::read_wkb(wkb_bytes).map_err(|_| "unreadable WKB in a GeoPackage geometry")?;
    Ok(wkb.try_to_geometry())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::gis::{Layer, write_geopackage};
    use geo::{MultiPolygon, polygon};

    #[test]
    fn what_gridplan_writes_it_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.gpkg");
        let a = MultiPolygon::new(vec![polygon![(x: 126.6, y: 45.7), (x: 126.7, y: 45.7), (x: 126.7, y: 45.8)]]);
        let props = |v: Value| v.as_object().cloned().expect("object");
        let layer = Layer {
            name: "grids",
            features: vec![(&a, props(serde_json::json!({"id": "G1", "households": 420, "名称": "爱建社区"})))],
            crs: crate::crs::Crs::Wgs84,
        };
        write_geopackage(&path, &[layer]).expect("write");
        // A file in WAL mode (as QGIS may leave one): reading it creates nothing beside it.
        Connection::open(&path).and_then(|c| c.pragma_update(None, "journal_mode", "WAL")).expect("wal");
        let before: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("e").file_name()).collect();
        let t = read_geopackage(&path, &ReadOptions::default()).expect("read");
        let after: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|e| e.expect("e").file_name()).collect();
        assert_eq!(before, after, "reading wrote nothing into the folder");
        assert_eq!(t.records.len(), 1);
        let r = &t.records[0];
        assert_eq!(r.props["id"], "G1");
        assert_eq!(r.props["households"], 420);
        assert_eq!(r.props["名称"], "爱建社区");
        assert_eq!(r.geometry, Some(geo::Geometry::MultiPolygon(a)));
        let wrong = ReadOptions { layer: Some("nope".into()), ..Default::default() };
        let e = read_geopackage(&path, &wrong).expect_err("no such table").to_string();
        assert!(e.contains("nope") && e.contains("grids"), "{e}");
    }
}
