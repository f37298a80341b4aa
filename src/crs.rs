//! Coordinate reference systems of Chinese data: WGS84, CGCS2000, GCJ-02 and BD-09, in and out.
//!
//! GCJ-02 (Amap, Tencent) is WGS84 plus a published, deliberately non-invertible offset of 100–700 m; BD-09
//! (Baidu) is GCJ-02 plus a further rotation/scale offset. The forward formulas are the public ones; the
//! inverses are solved by fixed-point iteration to well under a millimetre, which is far inside the < 0.5 m
//! the loaders need. CGCS2000 is treated as WGS84 (they agree within centimetres at this scale).

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::fmt;

/// A geographic coordinate system that input layers may use and outputs may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS84 longitude/latitude (GPS, OpenStreetMap, RFC 7946 GeoJSON).
    #[default]
    Wgs84,
    /// China Geodetic Coordinate System 2000; treated as WGS84.
    Cgcs2000,
    /// GCJ-02 "Mars coordinates" (Amap/Gaode, Tencent, Google China).
    Gcj02,
    /// BD-09 (Baidu Maps).
    Bd09,
}

impl Crs {
    /// All supported systems, in the order they are documented.
    pub const ALL: [Crs; 4] = [Crs::Wgs84, Crs::Cgcs2000, Crs::Gcj02, Crs::Bd09];

    /// The name used in plan files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Cgcs2000 => "cgcs2000",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Whether the system is only defined inside China (GCJ-02 and BD-09 are).
    pub fn china_only(self) -> bool {
        matches!(self, Crs::Gcj02 | Crs::Bd09)
    }

    /// Converts a (lon, lat) in this system to WGS84.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => (lon, lat),
            Crs::Gcj02 => gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => bd09_to_wgs84(lon, lat),
        }
    }

    /// Converts a WGS84 (lon, lat) into this system.
    pub fn from_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => (lon, lat),
            Crs::Gcj02 => wgs84_to_gcj02(lon, lat),
            Crs::Bd09 => wgs84_to_bd09(lon, lat),
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Crs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "wgs84" | "epsg4326" => Ok(Crs::Wgs84),
            "cgcs2000" | "epsg4490" => Ok(Crs::Cgcs2000),
            "gcj02" => Ok(Crs::Gcj02),
            "bd09" | "bd09ll" => Ok(Crs::Bd09),
            _ => Err(format!("unknown CRS `{s}`: expected one of wgs84, cgcs2000, gcj02, bd09")),
        }
    }
}

/// The rectangle inside which the GCJ-02 offset is applied (the bound every public implementation uses).
pub fn in_china(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

// Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
const GCJ_A: f64 = 6_378_245.0;
const GCJ_EE: f64 = 0.006_693_421_622_965_943;

fn gcj_offset_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn gcj_offset_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// WGS84 → GCJ-02 (the published forward formula). Points outside China are returned unchanged.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    let d_lat = gcj_offset_lat(lon - 105.0, lat - 35.0);
    let d_lon = gcj_offset_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - GCJ_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = (d_lat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon * 180.0) / (GCJ_A / sqrt_magic * rad_lat.cos() * PI);
    (lon + d_lon, lat + d_lat)
}

const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// GCJ-02 → BD-09 (Baidu's published forward formula).
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.000_02 * (lat * BD_X_PI).sin();
    let theta = lat.atan2(lon) + 0.000_003 * (lon * BD_X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// WGS84 → BD-09.
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (g_lon, g_lat) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(g_lon, g_lat)
}

/// Inverts a forward transform `f` near the identity by fixed-point iteration: p ← p − (f(p) − target).
/// The offsets change slowly with position, so each step gains several digits; 1e-10° is about 10 µm.
fn invert(f: impl Fn(f64, f64) -> (f64, f64), lon: f64, lat: f64) -> (f64, f64) {
    let (mut x, mut y) = (lon, lat);
    for _ in 0..30 {
        let (fx, fy) = f(x, y);
        let (dx, dy) = (fx - lon, fy - lat);
        x -= dx;
        y -= dy;
        if dx.abs() < 1e-10 && dy.abs() < 1e-10 {
            break;
        }
    }
    (x, y)
}

/// GCJ-02 → WGS84, solved iteratively (residual far below 0.5 m).
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    invert(wgs84_to_gcj02, lon, lat)
}

/// BD-09 → GCJ-02, solved iteratively.
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    invert(gcj02_to_bd09, lon, lat)
}

/// BD-09 → WGS84, solved iteratively on the composed forward transform.
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    invert(wgs84_to_bd09, lon, lat)
}

/// Great-circle distance in metres between two WGS84 points (haversine, mean Earth radius).
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (lat1, lat2) = (a.1.to_radians(), b.1.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (b.0 - a.0).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close_m(a: (f64, f64), b: (f64, f64), tol_m: f64) -> bool {
        haversine_m(a, b) < tol_m
    }

    #[test]
    fn wgs84_to_gcj02_matches_published_pairs() {
        // (wgs lon, wgs lat, gcj lon, gcj lat): wandergis/coordtransform and googollee/eviltransform test vectors.
        let pairs = [
            (116.404, 39.915, 116.410_244_499_169_38, 39.916_404_281_501_64),
            (121.527_210_6, 31.177_427_6, 121.531_541_859_215, 31.175_303_983_645_97),
            (113.912_316, 22.543_847, 113.917_176_480_836_3, 22.540_796_131_694_766),
            (116.377_817, 39.911_954, 116.384_047_224_556_57, 39.913_345_455_360_69),
        ];
        for (wl, wb, gl, gb) in pairs {
            let (x, y) = wgs84_to_gcj02(wl, wb);
            assert!((x - gl).abs() < 1e-9 && (y - gb).abs() < 1e-9, "{wl},{wb} -> {x},{y}");
            let back = gcj02_to_wgs84(gl, gb);
            assert!(close_m(back, (wl, wb), 0.01), "inverse of {gl},{gb} = {back:?}");
        }
    }

    #[test]
    fn bd09_matches_published_pairs() {
        let (x, y) = gcj02_to_bd09(116.404, 39.915);
        assert!((x - 116.410_369_493_710_29).abs() < 1e-9 && (y - 39.921_336_993_510_21).abs() < 1e-9);
        // wandergis/coordtransform's closed-form inverse: BD-09 (116.404, 39.915) → GCJ-02 (116.397627, 39.908657).
        // Theirs is an approximation; the exact inverse agrees to 5 cm.
        let g = bd09_to_gcj02(116.404, 39.915);
        assert!(close_m(g, (116.397_627_291_193_15, 39.908_656_739_576_31), 0.1), "{g:?}");
        let back = gcj02_to_bd09(g.0, g.1);
        assert!((back.0 - 116.404).abs() < 1e-9 && (back.1 - 39.915).abs() < 1e-9);
    }

    #[test]
    fn inverses_round_trip_below_half_a_metre_across_china() {
        for lon in (74..135).step_by(3) {
            for lat in (19..54).step_by(3) {
                let p = (lon as f64 + 0.37, lat as f64 + 0.61);
                for crs in Crs::ALL {
                    let q = crs.from_wgs84(p.0, p.1);
                    let back = crs.to_wgs84(q.0, q.1);
                    assert!(close_m(back, p, 0.5), "{crs} {p:?} -> {q:?} -> {back:?}");
                }
            }
        }
    }

    #[test]
    fn harbin_offset_has_the_documented_size() {
        // china-admin README: at Harbin GCJ-02 sits ≈ +0.0060° lon, +0.0020° lat from WGS84.
        let (x, y) = wgs84_to_gcj02(126.63, 45.75);
        assert!((x - 126.63 - 0.0060).abs() < 0.0005 && (y - 45.75 - 0.0020).abs() < 0.0005);
    }

    #[test]
    fn names_parse() {
        for crs in Crs::ALL {
            assert_eq!(crs.name().parse::<Crs>(), Ok(crs));
        }
        assert_eq!("GCJ-02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert!("utm52".parse::<Crs>().is_err());
    }
}
