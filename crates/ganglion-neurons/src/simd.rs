//! AVX-512 builds of the neuron kernels, chosen at run time.
//!
//! The crate is compiled for the baseline in `.cargo/config.toml` (x86-64-v3: AVX2, FMA).
//! On a CPU with AVX-512 a kernel's loop runs 16 lanes wide with 32 vector registers (its
//! constants stay in registers instead of being re-loaded from the stack) and mask-register
//! selects: CUBA's step loop runs 1.4x faster on Zen 4. [`multiversion!`] wraps a kernel's
//! `#[inline(always)]` body twice, once under `#[target_feature]`, and picks the build per
//! call (`GANGLION_SIMD=baseline` forces the baseline). Both builds do the same f32
//! operations in the same order per neuron (explicit `mul_add`, no reassociation), so
//! results are bit-identical whichever runs (tested in `tests/neuron_models.rs`).
//!
//! Why per kernel and not one `#[target_feature]` copy of the whole model dispatch: inlined
//! into one large function, LLVM unrolled the CUBA loop four times and ran out of mask
//! registers (measured: twice as slow as the baseline).

use std::sync::atomic::{AtomicU8, Ordering};

/// 0: not decided yet, 1: AVX-512 builds, 2: baseline builds.
static LEVEL: AtomicU8 = AtomicU8::new(0);

/// Whether the kernels run their AVX-512 build: the CPU has AVX-512 F/VL/BW/DQ and neither
/// [`force_baseline_kernels`] nor `GANGLION_SIMD=baseline` in the environment said otherwise.
#[inline]
pub fn has_avx512() -> bool {
    match LEVEL.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let on = cpu_has_avx512()
                && std::env::var("GANGLION_SIMD").map_or(true, |v| v != "baseline");
            LEVEL.store(if on { 1 } else { 2 }, Ordering::Relaxed);
            on
        }
    }
}

/// Run the baseline (x86-64-v3) build of every kernel from now on (`true`), or go back to
/// choosing by CPU (`false`). For A/B timing and the bit-identity test; results do not change.
pub fn force_baseline_kernels(on: bool) {
    LEVEL.store(if on { 2 } else { 0 }, Ordering::Relaxed);
}

fn cpu_has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `multiversion!(fn name<L: Lane[, const C: bool]>(args) -> R = body);` defines `name`, which
/// runs `body::<L[, C]>(args)` compiled for AVX-512 where [`has_avx512`] holds, else as built.
/// `body` must be `#[inline(always)]` (otherwise it is compiled for the baseline only).
macro_rules! multiversion {
    (fn $name:ident<$l:ident: Lane $(, const $c:ident: bool)?>($($a:ident: $t:ty),* $(,)?) -> $r:ty = $body:ident;) => {
        #[inline(never)]
        #[allow(clippy::unused_unit, clippy::too_many_arguments)]
        fn $name<$l: Lane $(, const $c: bool)?>($($a: $t),*) -> $r {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq")]
                #[allow(clippy::unused_unit, clippy::too_many_arguments)]
                unsafe fn avx512<$l: Lane $(, const $c: bool)?>($($a: $t),*) -> $r {
                    $body::<$l $(, $c)?>($($a),*)
                }
                if $crate::simd::has_avx512() {
                    // SAFETY: the CPU has every feature `avx512` is compiled for.
                    return unsafe { avx512::<$l $(, $c)?>($($a),*) };
                }
            }
            $body::<$l $(, $c)?>($($a),*)
        }
    };
}
pub(crate) use multiversion;
