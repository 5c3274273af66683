//! Figures reach the disk as SVG and PNG of the requested size.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the report

use std::path::Path;

use ganglion_plot::{
    Figure, Legend, Panel, PlotError, RasterOptions, Series, SeriesKind, raster, render_svg, save,
};

/// Width and height from a PNG's IHDR chunk (bytes 16..24, big endian).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("png readable");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

fn no_temp_files_left(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            !name.contains(".tmp-"),
            "temporary file left behind: {name}"
        );
    }
}

#[test]
fn line_scatter_log_figure_writes_svg_and_png() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xs: Vec<f64> = (1..40).map(f64::from).collect();
    let fig = Figure::new("P(false positive) vs n").size(640, 480).panel(
        Panel::new("n [cells]", "P_FP")
            .log_y()
            .line(
                "a = 64",
                xs.iter().map(|&x| (x, 10f64.powf(-x / 3.0))).collect(),
            )
            .dashed(
                "a = 128",
                xs.iter().map(|&x| (x, 10f64.powf(-x / 5.0))).collect(),
            )
            .scatter(
                "MC",
                xs.iter().map(|&x| (x, 10f64.powf(-x / 4.0))).collect(),
            )
            // Non-positive values cannot sit on a log axis; they are skipped.
            .line("with zeros", vec![(1.0, 0.0), (2.0, 1e-3), (3.0, -1.0)])
            .legend(Legend::LowerLeft),
    );
    let saved = save(&fig, dir.path().join("fig")).expect("save");
    assert_eq!(saved.svg, dir.path().join("fig.svg"));
    assert_eq!(saved.png, dir.path().join("fig.png"));
    let svg = std::fs::read_to_string(&saved.svg).expect("svg");
    assert!(svg.starts_with("<svg"), "SVG document");
    assert!(
        svg.contains("a = 64") && svg.contains("P_FP"),
        "legend and label text in SVG"
    );
    assert!(std::fs::metadata(&saved.png).expect("png").len() > 1000);
    assert_eq!(png_size(&saved.png), (640, 480));
    no_temp_files_left(dir.path());
}

#[test]
fn log_log_and_multi_panel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d: Vec<f64> = [16.0, 64.0, 256.0, 1024.0].to_vec();
    let fig = Figure::new("capacity")
        .size(500, 700)
        .panel(Panel::new("d_k", "N*").log_x().log_y().series(Series::new(
            "avg",
            SeriesKind::LineMarkers,
            d.iter().map(|&x| (x, x / 5.0)).collect(),
        )))
        .panel(Panel::new("d_k", "slope").line("flat", vec![(0.0, 1.0), (1.0, 1.0)]));
    let saved = save(&fig, dir.path().join("nested/dir/cap")).expect("save creates parents");
    assert_eq!(png_size(&saved.png), (500, 700));
}

#[test]
fn raster_with_rate_panel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t_e = Vec::new();
    let mut id_e = Vec::new();
    for k in 0..2000u32 {
        t_e.push(f64::from(k % 500) * 0.2 + f64::from(k % 7));
        id_e.push(k % 80);
    }
    let t_i = [3.0, 10.0, 55.5];
    let id_i = [0u32, 5, 19];
    let opts = RasterOptions {
        title: "two populations".into(),
        rate_bin_ms: Some(5.0),
        population_sizes: Some(vec![80, 20]),
        ..RasterOptions::default()
    };
    let saved = raster(
        &[("exc", &t_e[..], &id_e[..]), ("inh", &t_i[..], &id_i[..])],
        &opts,
        dir.path().join("raster"),
    )
    .expect("raster");
    assert_eq!(png_size(&saved.png), (1000, 650));
    assert!(std::fs::metadata(&saved.svg).expect("svg").len() > 1000);
    no_temp_files_left(dir.path());
}

#[test]
fn empty_raster_still_draws() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = raster(
        &[("none", &[][..], &[][..])],
        &RasterOptions::default(),
        dir.path().join("e"),
    )
    .expect("empty raster");
    assert!(saved.png.exists());
}

#[test]
fn invalid_figures_are_refused_with_their_title() {
    let e = render_svg(&Figure::new("lonely")).expect_err("no panels");
    assert!(matches!(e, PlotError::InvalidFigure { .. }));
    assert!(e.to_string().contains("lonely"));
    let bad = Figure::new("bad log").panel(Panel::new("x", "y").log_y().y_range(-1.0, 1.0));
    assert!(render_svg(&bad).is_err());
}
