//! GGUF reading and dequantisation against values computed by hand from ggml's block layouts.

use super::*;

fn h(x: f32) -> [u8; 2] {
    f32_to_f16(x).to_le_bytes()
}

#[test]
fn half_precision_both_ways() {
    for (bits, v) in [
        (0x3c00u16, 1.0f32),
        (0xc000, -2.0),
        (0x3800, 0.5),
        (0x0001, 2f32.powi(-24)),
        (0x0400, 2f32.powi(-14)),
        (0x7bff, 65504.0),
        (0x7c00, f32::INFINITY),
        (0x0000, 0.0),
    ] {
        assert_eq!(f16_to_f32(bits), v, "{bits:#06x}");
        assert_eq!(f32_to_f16(v), bits, "{v}");
    }
    assert!(f16_to_f32(0x7e00).is_nan());
    // Round to nearest even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
    assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11)), 0x3c00);
    assert_eq!(f32_to_f16(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02);
}

fn deq(ty: GgmlType, raw: &[u8]) -> Vec<f32> {
    let mut out = vec![0.0; raw.len() / ty.block().1 * ty.block().0];
    dequantize(ty, raw, &mut out);
    out
}

#[test]
fn q8_0_by_hand() {
    let mut b = vec![0u8; 34];
    b[..2].copy_from_slice(&h(0.5));
    for (i, q) in [-128i8, -1, 0, 1, 127].into_iter().enumerate() {
        b[2 + i] = q as u8;
    }
    let y = deq(GgmlType::Q8_0, &b);
    assert_eq!(&y[..5], &[-64.0, -0.5, 0.0, 0.5, 63.5]);
    assert!(y[5..].iter().all(|&v| v == 0.0));
}

#[test]
fn q4_0_by_hand() {
    let mut b = vec![0x88u8; 18]; // nibble 8 is zero
    b[..2].copy_from_slice(&h(2.0));
    b[2] = 0x1f; // element 0: 15 − 8 = 7; element 16: 1 − 8 = −7
    b[3] = 0x80; // element 1: 0 − 8 = −8; element 17: 8 − 8 = 0
    let y = deq(GgmlType::Q4_0, &b);
    assert_eq!((y[0], y[16], y[1], y[17]), (14.0, -14.0, -16.0, 0.0));
    assert_eq!(y[2], 0.0);
}

#[test]
fn q4_1_by_hand() {
    let mut b = vec![0u8; 20];
    b[..2].copy_from_slice(&h(0.5));
    b[2..4].copy_from_slice(&h(-1.0));
    b[4] = 0x3a; // element 0: 0.5·10 − 1 = 4; element 16: 0.5·3 − 1 = 0.5
    let y = deq(GgmlType::Q4_1, &b);
    assert_eq!((y[0], y[16], y[1]), (4.0, 0.5, -1.0));
}

#[test]
fn q4_k_by_hand() {
    let mut b = vec![0u8; 144];
    b[..2].copy_from_slice(&h(1.0)); // d
    b[2..4].copy_from_slice(&h(0.5)); // dmin
    let sc = &mut b[4..16];
    sc[0] = 3 | (1 << 6); // sub-block 0 scale 3; top bits feed sub-block 4's scale
    sc[4] = 2 | (2 << 6); // sub-block 0 min 2; top bits feed sub-block 4's min
    sc[8] = 0x75; // sub-block 4: scale 5 | 1<<4 = 21, min 7 | 2<<4 = 39
    b[16] = 0x9c; // element 0: nibble 12 (sub-block 0); element 32: nibble 9 (sub-block 1)
    b[16 + 64] = 0x0a; // element 128: nibble 10 (sub-block 4)
    let y = deq(GgmlType::Q4K, &b);
    assert_eq!(y[0], 3.0 * 12.0 - 0.5 * 2.0);
    assert_eq!(y[1], -1.0); // q = 0: only the minimum
    assert_eq!(y[32], 0.0); // sub-block 1 has scale 0 and min 0
    assert_eq!(y[128], 21.0 * 10.0 - 0.5 * 39.0);
    assert_eq!(y[129], -19.5);
    assert_eq!(y[160], 0.0);
}

#[test]
fn q6_k_by_hand() {
    let mut b = vec![0u8; 210];
    b[208..210].copy_from_slice(&h(0.25));
    let (ql, rest) = b.split_at_mut(128);
    let (qh, sc) = rest.split_at_mut(64);
    sc[0] = 2;
    sc[2] = (-3i8) as u8;
    sc[4] = 4;
    sc[6] = 1;
    sc[8] = 5;
    ql[0] = 0x5a;
    qh[0] = 0b11_10_01_00;
    ql[64] = 0x01;
    let y = deq(GgmlType::Q6K, &b);
    assert_eq!(y[0], 0.25 * 2.0 * (10.0 - 32.0));
    assert_eq!(y[32], 0.25 * -3.0 * (16.0 - 32.0));
    assert_eq!(y[64], 0.25 * 4.0 * (5.0 + 32.0 - 32.0));
    assert_eq!(y[96], 0.25 * 1.0 * (48.0 - 32.0));
    assert_eq!(y[1], 0.25 * 2.0 * -32.0);
    assert_eq!(y[16], 0.0); // scale 1 is zero
    assert_eq!(y[128], 0.25 * 5.0 * (1.0 - 32.0));
}

#[test]
fn bf16_and_f32_by_hand() {
    let y = deq(GgmlType::BF16, &[0x80, 0x3f, 0x00, 0xc0]);
    assert_eq!(y, [1.0, -2.0]);
    let y = deq(GgmlType::F32, &1.5f32.to_le_bytes());
    assert_eq!(y, [1.5]);
}

fn sample_file() -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.meta("general.architecture", Value::String("llama".into()))
        .meta("u8", Value::U8(200))
        .meta("i8", Value::I8(-5))
        .meta("u16", Value::U16(60000))
        .meta("i16", Value::I16(-30000))
        .meta("u32", Value::U32(4_000_000_000))
        .meta("i32", Value::I32(-7))
        .meta("f32", Value::F32(0.25))
        .meta("bool", Value::Bool(true))
        .meta("u64", Value::U64(1 << 40))
        .meta("i64", Value::I64(-(1 << 40)))
        .meta("f64", Value::F64(-1e-300))
        .meta(
            "strings",
            Value::Array(
                8,
                vec![Value::String("Ġa".into()), Value::String("b c".into())],
            ),
        )
        .meta(
            "nested",
            Value::Array(
                9,
                vec![Value::Array(5, vec![Value::I32(1), Value::I32(-2)])],
            ),
        );
    w.tensor_f32("f", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    w.tensor_f16("h", &[1, 2], &[0.5, -8.0]);
    let mut q = vec![0u8; 34];
    q[..2].copy_from_slice(&h(0.5));
    q[2] = 6;
    w.tensor_raw("q", &[32], 8, q);
    w.to_bytes()
}

#[test]
fn file_round_trip() {
    let f = GgufFile::parse(sample_file(), "sample").expect("parse");
    assert_eq!(f.version, 3);
    assert_eq!(f.get_str("general.architecture").expect("arch"), "llama");
    assert_eq!(f.get("u8"), Some(&Value::U8(200)));
    assert_eq!(f.get("i8"), Some(&Value::I8(-5)));
    assert_eq!(f.get("u16"), Some(&Value::U16(60000)));
    assert_eq!(f.get("i16"), Some(&Value::I16(-30000)));
    assert_eq!(f.get_u64("u32").expect("u32"), 4_000_000_000);
    assert_eq!(f.get("i32"), Some(&Value::I32(-7)));
    assert_eq!(f.get_f64("f32").expect("f32"), 0.25);
    assert_eq!(f.get("bool").and_then(Value::as_bool), Some(true));
    assert_eq!(f.get_u64("u64").expect("u64"), 1 << 40);
    assert_eq!(f.get("i64"), Some(&Value::I64(-(1 << 40))));
    assert_eq!(f.get_f64("f64").expect("f64"), -1e-300);
    let s = f.get("strings").and_then(Value::as_array).expect("array");
    assert_eq!(s[0].as_str(), Some("Ġa"));
    assert_eq!(s[1].as_str(), Some("b c"));
    assert_eq!(
        f.get("nested"),
        Some(&Value::Array(
            9,
            vec![Value::Array(5, vec![Value::I32(1), Value::I32(-2)])]
        ))
    );
    let (shape, v) = f.tensor_f32("f").expect("f");
    assert_eq!(shape, [2, 3]);
    assert_eq!(v, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(f.tensor_info("f").expect("f").dims, [3, 2]);
    assert_eq!(f.tensor_f32("h").expect("h").1, [0.5, -8.0]);
    let q = f.tensor_f32("q").expect("q").1;
    assert_eq!(q[0], 3.0);
    // Tensor data offsets are aligned.
    assert!(f.tensors.iter().all(|t| t.offset % 32 == 0));
    assert!(f.get_u64("general.architecture").is_err());
    assert!(matches!(
        f.get_str("absent"),
        Err(GgufError::Metadata { .. })
    ));
}

#[test]
fn bad_files_get_clear_errors() {
    let err = GgufFile::parse(b"PK\x03\x04rest".to_vec(), "model.zip").expect_err("magic");
    assert!(matches!(err, GgufError::NotGguf { .. }));
    assert!(
        err.to_string().contains("model.zip is not a GGUF file"),
        "{err}"
    );

    let mut b = sample_file();
    b[4] = 4;
    let err = GgufFile::parse(b, "v4").expect_err("version");
    assert!(
        err.to_string().contains("GGUF version 4 is not supported"),
        "{err}"
    );

    let full = sample_file();
    for cut in [10, 40, full.len() - 1] {
        let err = GgufFile::parse(full[..cut].to_vec(), "cut").expect_err("truncated");
        assert!(
            matches!(err, GgufError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
        assert!(err.to_string().contains("cut is truncated"), "{err}");
    }

    let mut w = GgufWriter::new();
    w.tensor_raw("blk.0.ffn_down.weight", &[32], 6, vec![0u8; 22]);
    let f = GgufFile::parse(w.to_bytes(), "q5").expect("unsupported types parse");
    let err = f.tensor_f32("blk.0.ffn_down.weight").expect_err("Q5_0");
    let msg = err.to_string();
    assert!(
        msg.starts_with("q5: ")
            && msg.contains("blk.0.ffn_down.weight")
            && msg.contains("Q5_0")
            && msg.contains("id 6"),
        "{msg}"
    );

    let f = GgufFile::parse(sample_file(), "sample").expect("parse");
    let err = f.tensor_f32_shaped("f", &[3, 2]).expect_err("shape");
    assert!(err.to_string().contains("has shape [2, 3]"), "{err}");
    let err = f.tensor_f32("token_embd.weight").expect_err("missing");
    assert!(matches!(err, GgufError::MissingTensor { .. }));

    let mut w = GgufWriter::new();
    w.tensor_raw("odd", &[2, 16], 8, vec![0u8; 34]);
    let err = GgufFile::parse(w.to_bytes(), "rows").expect_err("row not a multiple of block");
    assert!(
        err.to_string().contains("not a multiple of the Q8_0 block"),
        "{err}"
    );
}

/// A GGUF v3 file with no metadata and one F32 tensor of `dims` (ggml order) at `offset`,
/// written byte by byte so that the offset and dims can be absurd.
fn crafted(dims: &[u64], offset: u64) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(1u64.to_le_bytes()); // tensors
    b.extend(0u64.to_le_bytes()); // metadata
    b.extend(1u64.to_le_bytes());
    b.push(b't');
    b.extend((dims.len() as u32).to_le_bytes());
    for d in dims {
        b.extend(d.to_le_bytes());
    }
    b.extend(0u32.to_le_bytes()); // F32
    b.extend(offset.to_le_bytes());
    while !b.len().is_multiple_of(32) {
        b.push(0);
    }
    b.extend([0u8; 16]);
    b
}

#[test]
fn sizes_and_offsets_past_u64_are_malformed_not_overflows() {
    GgufFile::parse(crafted(&[4], 0), "ok").expect("the crafted file itself is fine");
    // data_start + offset overflows (the offset is a multiple of the alignment).
    let err = GgufFile::parse(crafted(&[4], u64::MAX - 31), "far").expect_err("offset");
    assert!(matches!(err, GgufError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("past 2^64 bytes"), "{err}");
    // 2^62 elements fit in u64, their 2^64 bytes do not.
    let err = GgufFile::parse(crafted(&[1 << 62], 0), "huge").expect_err("size");
    assert!(matches!(err, GgufError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("past 2^64 bytes"), "{err}");
}

#[test]
fn random_blocks_match_the_gguf_python_package() {
    // Written by bench/interp/quant_fixture.py with llama.cpp's `gguf` package.
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/fixtures/quant_blocks.json"))
            .expect("fixture parses");
    let cases = fixture["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["type"].as_str().expect("type");
        let ty = match name {
            "Q4_0" => GgmlType::Q4_0,
            "Q4_1" => GgmlType::Q4_1,
            "Q8_0" => GgmlType::Q8_0,
            "Q4_K" => GgmlType::Q4K,
            "Q6_K" => GgmlType::Q6K,
            other => panic!("fixture type {other}"),
        };
        let hex = case["hex"].as_str().expect("hex");
        let raw: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex byte"))
            .collect();
        let want: Vec<f32> = case["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(|v| v.as_f64().expect("number") as f32)
            .collect();
        let got = deq(ty, &raw);
        assert_eq!(got.len(), want.len(), "{name}");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            // Both sides compute in f32; allow one rounding of the scale products.
            assert!(
                (g - w).abs() <= 1e-6 * w.abs().max(1e-3),
                "{name} element {i}: {g} vs {w}"
            );
        }
    }
}
