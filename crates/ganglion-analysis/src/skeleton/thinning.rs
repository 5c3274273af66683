//! The 3-D thinning of Lee, Kashyap & Chu (1994), ported from scikit-image's `skeletonize`
//! (see the parent module's docs): directional sub-passes that delete border voxels which are
//! simple, keep the Euler characteristic and are not curve endpoints.

use super::Volume;

/// Column δG₂₆ of Lee et al.'s table 2, on odd indices (bit 0 is the centre voxel).
const EULER_ODD: [i8; 128] = [
    1, -1, -1, 1, -3, -1, -1, 1, -1, 1, 1, -1, 3, 1, 1, -1, -3, -1, 3, 1, 1, -1, 3, 1, -1, 1, 1,
    -1, 3, 1, 1, -1, -3, 3, -1, 1, 1, 3, -1, 1, -1, 1, 1, -1, 3, 1, 1, -1, 1, 3, 3, 1, 5, 3, 3, 1,
    -1, 1, 1, -1, 3, 1, 1, -1, -7, -1, -1, 1, -3, -1, -1, 1, -1, 1, 1, -1, 3, 1, 1, -1, -3, -1, 3,
    1, 1, -1, 3, 1, -1, 1, 1, -1, 3, 1, 1, -1, -3, 3, -1, 1, 1, 3, -1, 1, -1, 1, 1, -1, 3, 1, 1,
    -1, 1, 3, 3, 1, 5, 3, 3, 1, -1, 1, 1, -1, 3, 1, 1, -1,
];

/// The seven neighbours (27-neighbourhood indices) of each octant, in the bit order of the
/// Euler table (NEB, NWB, SEB, SWB, NEU, NWU, SEU, SWU).
const EULER_OCTANTS: [[usize; 7]; 8] = [
    [2, 1, 11, 10, 5, 4, 14],
    [0, 9, 3, 12, 1, 10, 4],
    [8, 7, 17, 16, 5, 4, 14],
    [6, 15, 7, 16, 3, 12, 4],
    [20, 23, 19, 22, 11, 14, 10],
    [18, 21, 9, 12, 19, 22, 10],
    [26, 23, 17, 14, 25, 22, 16],
    [24, 25, 15, 16, 21, 22, 12],
];

/// Octree of Lee et al. figs. 6–7 on the 26 neighbours (centre removed): for each octant
/// 1..8, its seven cells and, per cell, the octants that share it.
const OCTREE: [([usize; 7], [&[u8]; 7]); 8] = [
    (
        [0, 1, 3, 4, 9, 10, 12],
        [&[], &[2], &[3], &[2, 3, 4], &[5], &[2, 5, 6], &[3, 5, 7]],
    ),
    (
        [1, 4, 10, 2, 5, 11, 13],
        [&[1], &[1, 3, 4], &[1, 5, 6], &[], &[4], &[6], &[4, 6, 8]],
    ),
    (
        [3, 4, 12, 6, 7, 14, 15],
        [&[1], &[1, 2, 4], &[1, 5, 7], &[], &[4], &[7], &[4, 7, 8]],
    ),
    (
        [4, 5, 13, 7, 15, 8, 16],
        [&[1, 2, 3], &[2], &[2, 6, 8], &[3], &[3, 7, 8], &[], &[8]],
    ),
    (
        [9, 10, 12, 17, 18, 20, 21],
        [&[1], &[1, 2, 6], &[1, 3, 7], &[], &[6], &[7], &[6, 7, 8]],
    ),
    (
        [10, 11, 13, 18, 21, 19, 22],
        [&[1, 2, 5], &[2], &[2, 4, 8], &[5], &[5, 7, 8], &[], &[8]],
    ),
    (
        [12, 14, 15, 20, 21, 23, 24],
        [&[1, 3, 5], &[3], &[3, 4, 8], &[5], &[5, 6, 8], &[], &[8]],
    ),
    (
        [13, 15, 16, 21, 22, 24, 25],
        [&[2, 4, 6], &[3, 4, 7], &[4], &[5, 6, 7], &[6], &[7], &[]],
    ),
];

/// The octant (1..8) to start labelling from for each of the 26 neighbours.
const START_OCTANT: [u8; 26] = [
    1, 1, 2, 1, 1, 2, 3, 3, 4, 1, 1, 2, 1, 2, 3, 3, 4, 5, 5, 6, 5, 5, 6, 7, 7, 8,
];

fn octree_label(octant: u8, label: u8, cube: &mut [u8; 26]) {
    let (cells, next) = &OCTREE[usize::from(octant - 1)];
    for (k, &c) in cells.iter().enumerate() {
        if cube[c] == 1 {
            cube[c] = label;
            for &o in next[k] {
                octree_label(o, label, cube);
            }
        }
    }
}

fn is_simple(nb: &[u8; 27]) -> bool {
    let mut cube = [0u8; 26];
    cube[..13].copy_from_slice(&nb[..13]);
    cube[13..].copy_from_slice(&nb[14..]);
    let mut label = 2u8;
    for i in 0..26 {
        if cube[i] == 1 {
            octree_label(START_OCTANT[i], label, &mut cube);
            label += 1;
            if label - 2 >= 2 {
                return false;
            }
        }
    }
    true
}

fn is_euler_invariant(nb: &[u8; 27]) -> bool {
    let mut euler = 0i32;
    for oct in &EULER_OCTANTS {
        let mut n = 1usize;
        for (j, &idx) in oct.iter().enumerate() {
            if nb[idx] == 1 {
                n |= 1 << (7 - j);
            }
        }
        euler += i32::from(EULER_ODD[n >> 1]);
    }
    euler == 0
}

fn is_endpoint(nb: &[u8; 27]) -> bool {
    nb.iter().map(|&v| u32::from(v)).sum::<u32>() == 2
}

/// Thins the padded 0/1 buffer `img` (dims `d`, a zero border of one voxel on every side) in
/// place, with `borders` directional sub-passes per sweep (6, or 4 for a single z-slice).
fn thin(img: &mut [u8], d: [usize; 3], borders: usize) {
    let (sp, sr) = ((d[1] * d[2]) as isize, d[2] as isize);
    // 27-neighbourhood offsets in scikit-image's order: index 9(dp+1) + 3(dc+1) + (dr+1).
    let mut off = [0isize; 27];
    for dp in -1..=1isize {
        for dc in -1..=1isize {
            for dr in -1..=1isize {
                off[(9 * (dp + 1) + 3 * (dc + 1) + (dr + 1)) as usize] = dp * sp + dr * sr + dc;
            }
        }
    }
    // Directional neighbours of the border types 1..6 (N: c−1, S: c+1, E: r+1, W: r−1,
    // U: p+1, B: p−1), visited in released scikit-image's order 4, 3, 2, 1, 5, 6.
    let dir = [-1isize, 1, sr, -sr, sp, -sp];
    let order = [4usize, 3, 2, 1, 5, 6];
    // Foreground voxels in raster order; deleted ones are dropped after each sub-pass, so the
    // candidate scan visits them in the same order as a full raster scan would.
    let mut fg: Vec<usize> = (0..img.len()).filter(|&i| img[i] == 1).collect();
    let mut cand: Vec<usize> = Vec::new();
    let neigh = |img: &[u8], i: usize| -> [u8; 27] {
        let mut nb = [0u8; 27];
        for (k, &o) in off.iter().enumerate() {
            nb[k] = img[(i as isize + o) as usize];
        }
        nb
    };
    let mut unchanged = 0;
    while unchanged < borders {
        unchanged = 0;
        for &b in &order[..borders] {
            let step = dir[b - 1];
            cand.clear();
            for &i in &fg {
                if img[(i as isize + step) as usize] != 0 {
                    continue;
                }
                let nb = neigh(img, i);
                if is_endpoint(&nb) || !is_euler_invariant(&nb) || !is_simple(&nb) {
                    continue;
                }
                cand.push(i);
            }
            let mut changed = false;
            // Released scikit-image re-checks simplicity only (see the module docs).
            for &i in &cand {
                let nb = neigh(img, i);
                if is_simple(&nb) {
                    img[i] = 0;
                    changed = true;
                }
            }
            if changed {
                fg.retain(|&i| img[i] == 1);
            } else {
                unchanged += 1;
            }
        }
    }
}

/// Skeleton of a binary mask by Lee et al. (1994) 3-D thinning, exactly as scikit-image's
/// `skeletonize` computes it for 3-D input (see the module docs). Same shape as `mask`.
pub fn skeletonize(mask: &Volume<bool>) -> Volume<bool> {
    let [nz, ny, nx] = mask.shape;
    let d = [nz + 2, ny + 2, nx + 2];
    let mut img = vec![0u8; d[0] * d[1] * d[2]];
    for z in 0..nz {
        for y in 0..ny {
            let src = mask.index(z, y, 0);
            let dst = ((z + 1) * d[1] + y + 1) * d[2] + 1;
            for x in 0..nx {
                img[dst + x] = u8::from(mask.data[src + x]);
            }
        }
    }
    thin(&mut img, d, if nz == 1 { 4 } else { 6 });
    let mut out = Volume::filled(mask.shape, false);
    for z in 0..nz {
        for y in 0..ny {
            let src = ((z + 1) * d[1] + y + 1) * d[2] + 1;
            let dst = out.index(z, y, 0);
            for x in 0..nx {
                out.data[dst + x] = img[src + x] == 1;
            }
        }
    }
    out
}

/// The skeleton of every instance of a label volume, each thinned on its own (as the
/// reference code does for each label's mask): `(label, flat indices of its skeleton voxels
/// in increasing order)`, sorted by label. Each instance is thinned in its bounding box with
/// a one-voxel margin, which gives the same result as thinning its mask in the whole volume
/// (the thinning only looks at 3×3×3 neighbourhoods and keeps raster order).
pub fn skeletonize_labels(labels: &Volume<u32>) -> Vec<(u32, Vec<usize>)> {
    let nz = labels.shape[0];
    let ids = labels.labels();
    let slot = |l: u32| ids.binary_search(&l).expect("label listed");
    let mut lo = vec![[usize::MAX; 3]; ids.len()];
    let mut hi = vec![[0usize; 3]; ids.len()];
    for (i, &l) in labels.data.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let s = slot(l);
        let c = labels.coords(i);
        for a in 0..3 {
            lo[s][a] = lo[s][a].min(c[a]);
            hi[s][a] = hi[s][a].max(c[a]);
        }
    }
    let borders = if nz == 1 { 4 } else { 6 };
    ids.iter()
        .enumerate()
        .map(|(s, &l)| {
            let (a, b) = (lo[s], hi[s]);
            let d = [b[0] - a[0] + 3, b[1] - a[1] + 3, b[2] - a[2] + 3];
            let mut img = vec![0u8; d[0] * d[1] * d[2]];
            for z in a[0]..=b[0] {
                for y in a[1]..=b[1] {
                    let src = labels.index(z, y, 0);
                    let dst = ((z - a[0] + 1) * d[1] + y - a[1] + 1) * d[2] + 1;
                    for x in a[2]..=b[2] {
                        img[dst + x - a[2]] = u8::from(labels.data[src + x] == l);
                    }
                }
            }
            thin(&mut img, d, borders);
            let mut skel = Vec::new();
            for z in a[0]..=b[0] {
                for y in a[1]..=b[1] {
                    let src = ((z - a[0] + 1) * d[1] + y - a[1] + 1) * d[2] + 1;
                    for x in a[2]..=b[2] {
                        if img[src + x - a[2]] == 1 {
                            skel.push(labels.index(z, y, x));
                        }
                    }
                }
            }
            (l, skel)
        })
        .collect()
}
