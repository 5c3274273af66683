//! Pictures of a swimmer episode as plain SVG text (no rendering engine): the joint angles as
//! a kymograph (time × joint, colour = angle) and single frames of the body seen from above.

use std::fmt::Write as _;

/// A blue–white–red colour for `v` in \[−1, 1\] (clamped): −1 blue, 0 white, +1 red.
fn diverging(v: f64) -> (u8, u8, u8) {
    let v = if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) };
    let fade = |c: f64| (255.0 * (1.0 - v.abs()) + c * v.abs()).round() as u8;
    if v >= 0.0 {
        (fade(178.0), fade(24.0), fade(43.0))
    } else {
        (fade(33.0), fade(102.0), fade(172.0))
    }
}

/// The joint angles of an episode as a kymograph: one column per control step, one row per
/// joint (head at the top), colour the angle divided by `limit` (the joint limit \[rad\]; blue
/// negative, red positive). `joints` is steps × n_joints, row-major.
///
/// Panics if `n_joints == 0`, `joints.len()` is not a multiple of it, or `limit <= 0`.
pub fn kymograph_svg(joints: &[f64], n_joints: usize, limit: f64, title: &str) -> String {
    assert!(
        n_joints > 0 && joints.len().is_multiple_of(n_joints),
        "kymograph: {} angles do not split into rows of {n_joints} joints",
        joints.len()
    );
    assert!(limit > 0.0, "kymograph: joint limit {limit} must be > 0");
    let steps = joints.len() / n_joints;
    let (left, top, w, row) = (70.0, 40.0, 800.0, 24.0);
    let col = w / steps.max(1) as f64;
    let h = row * n_joints as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">"#,
        left + w + 20.0,
        top + h + 50.0
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{left}" y="20">{}</text>"#, escape(title));
    for t in 0..steps {
        for j in 0..n_joints {
            let (r, g, b) = diverging(joints[t * n_joints + j] / limit);
            let _ = writeln!(
                s,
                r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{row}" fill="rgb({r},{g},{b})"/>"#,
                left + t as f64 * col,
                top + j as f64 * row,
                col + 0.05
            );
        }
    }
    for j in 0..n_joints {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">joint {j}</text>"#,
            left - 6.0,
            top + (j as f64 + 0.65) * row
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{:.1}">control step 0 … {steps} (30 ms each); colour: angle / limit, blue −1 … red +1</text>"#,
        top + h + 30.0
    );
    s.push_str("</svg>\n");
    s
}

/// One frame of the swimmer seen from above: the body as a polyline through `points` (the
/// link ends head to tail, x, y \[m\], as [`crate::swimmer::Swimmer::joint_points`] gives them), the nose, and the target circle; the view is
/// centred on `centre` with half-width `half` \[m\].
pub fn frame_svg(
    points: &[[f64; 2]],
    nose: [f64; 2],
    target: [f64; 2],
    target_size: f64,
    centre: [f64; 2],
    half: f64,
    caption: &str,
) -> String {
    let size = 400.0;
    let k = size / (2.0 * half);
    // World y up → SVG y down.
    let px = |p: [f64; 2]| ((p[0] - centre[0] + half) * k, (centre[1] + half - p[1]) * k);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{}" font-family="sans-serif" font-size="12">"#,
        size + 24.0
    );
    let _ = writeln!(
        s,
        r#"<rect width="100%" height="100%" fill="rgb(26,51,77)"/>"#
    );
    let (tx, ty) = px(target);
    let _ = writeln!(
        s,
        r#"<circle cx="{tx:.2}" cy="{ty:.2}" r="{:.2}" fill="rgb(153,77,77)"/>"#,
        target_size * k
    );
    let path: Vec<String> = points
        .iter()
        .map(|&p| {
            let (x, y) = px(p);
            format!("{x:.2},{y:.2}")
        })
        .collect();
    let _ = writeln!(
        s,
        r#"<polyline points="{}" fill="none" stroke="rgb(178,128,77)" stroke-width="{:.2}" stroke-linecap="round" stroke-linejoin="round"/>"#,
        path.join(" "),
        (0.02 * k).max(1.0)
    );
    let (nx, ny) = px(nose);
    let _ = writeln!(
        s,
        r#"<circle cx="{nx:.2}" cy="{ny:.2}" r="{:.2}" fill="rgb(51,102,255)"/>"#,
        (0.008 * k).max(1.5)
    );
    let _ = writeln!(
        s,
        r#"<text x="6" y="{}" fill="white">{}</text>"#,
        size + 17.0,
        escape(caption)
    );
    s.push_str("</svg>\n");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_run_blue_white_red() {
        assert_eq!(diverging(0.0), (255, 255, 255));
        assert_eq!(diverging(1.0), (178, 24, 43));
        assert_eq!(diverging(-1.0), (33, 102, 172));
        assert_eq!(diverging(5.0), diverging(1.0));
    }

    #[test]
    fn kymograph_has_one_cell_per_step_and_joint() {
        let joints = [0.1, -0.2, 0.3, 0.0, 0.5, -0.5];
        let s = kymograph_svg(&joints, 2, 0.5, "a <b>");
        assert_eq!(s.matches("<rect x=").count(), 6);
        assert!(s.contains("a &lt;b&gt;"));
        // Angle 0.5 at the limit is full red.
        assert!(s.contains("rgb(178,24,43)"));
    }

    #[test]
    fn frame_maps_world_to_pixels() {
        let s = frame_svg(
            &[[0.0, 0.0], [0.0, 0.1]],
            [0.0, -0.06],
            [1.0, 1.0],
            0.1,
            [0.0, 0.0],
            2.0,
            "t = 0",
        );
        // 400 px for 4 m: 100 px/m; the origin at the centre, y flipped.
        assert!(s.contains(r#"points="200.00,200.00 200.00,190.00""#), "{s}");
        assert!(
            s.contains(r#"<circle cx="300.00" cy="100.00" r="10.00""#),
            "{s}"
        );
    }
}
