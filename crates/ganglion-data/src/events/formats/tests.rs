use super::*;

fn stream() -> EventStream {
    EventStream::new(
        128,
        100,
        vec![
            Event {
                t: 0,
                x: 0,
                y: 0,
                on: true,
            },
            Event {
                t: 7,
                x: 127,
                y: 99,
                on: false,
            },
            Event {
                t: 7,
                x: 5,
                y: 17,
                on: true,
            },
            Event {
                t: 1_000_000,
                x: 64,
                y: 3,
                on: false,
            },
        ],
    )
    .unwrap()
}

fn temp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (dir, p)
}

fn format_error(e: EventError) -> (u64, String) {
    match e {
        EventError::Format { offset, msg, .. } => (offset, msg),
        other => panic!("expected a format error, got {other}"),
    }
}

/// A NumPy 1.0 header around `dict`, padded as NumPy does.
fn npy(dict: &str, body: &[u8]) -> Vec<u8> {
    let mut h = dict.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(body);
    out
}

#[test]
fn tonic_round_trip() {
    let s = stream();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ev.npy");
    write_tonic_npy(&p, &s).unwrap();
    assert_eq!(read_tonic_npy(&p, Some((128, 100))).unwrap(), s);
    // Without a sensor size the smallest that holds the events.
    let fitted = read_tonic_npy(&p, None).unwrap();
    assert_eq!((fitted.width, fitted.height), (128, 100));
    // Our writer's output is a valid plain .npy header for ganglion-base's parser too.
    let bytes = encode_tonic_npy(&s);
    assert_eq!((bytes.len() - 13 * 4) % 64, 0);
}

#[test]
fn tonic_hand_built_fixture_with_other_order_types_and_padding() {
    // Fields x (big-endian u2), two padding bytes, p (bool), y (<i4), t (<f8 µs).
    let dict = "{'descr': [('x', '>u2'), ('', '|V2'), ('p', '|b1'), ('y', '<i4'), ('t', '<f8')], 'fortran_order': False, 'shape': (2,), }";
    let mut body = Vec::new();
    for (x, p, y, t) in [(300u16, 1u8, 2i32, 5.0f64), (1, 0, 0, 12.0)] {
        body.extend_from_slice(&x.to_be_bytes());
        body.extend_from_slice(&[0xAA, 0xBB]);
        body.push(p);
        body.extend_from_slice(&y.to_le_bytes());
        body.extend_from_slice(&t.to_le_bytes());
    }
    let (_d, p) = temp("f.npy", &npy(dict, &body));
    let s = read_tonic_npy(&p, None).unwrap();
    assert_eq!((s.width, s.height), (301, 3));
    assert_eq!(
        s.events,
        vec![
            Event {
                t: 5,
                x: 300,
                y: 2,
                on: true
            },
            Event {
                t: 12,
                x: 1,
                y: 0,
                on: false
            },
        ]
    );
}

#[test]
fn tonic_rejects_bad_files_with_offsets() {
    let (_d, p) = temp(
        "plain.npy",
        &npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }",
            &[],
        ),
    );
    let (_, msg) = format_error(read_tonic_npy(&p, None).unwrap_err());
    assert!(msg.contains("plain array"), "{msg}");

    let dict = "{'descr': [('x', '<i2'), ('y', '<i2'), ('t', '<i8')], 'fortran_order': False, 'shape': (1,), }";
    let (_d, p) = temp("nop.npy", &npy(dict, &[0; 12]));
    let (_, msg) = format_error(read_tonic_npy(&p, None).unwrap_err());
    assert!(msg.contains("no field 'p'"), "{msg}");

    // Truncated body: 2 records of 13 bytes announced, 20 given.
    let dict = "{'descr': [('t', '<i8'), ('x', '<i2'), ('y', '<i2'), ('p', '|u1')], 'fortran_order': False, 'shape': (2,), }";
    let bytes = npy(dict, &[0; 20]);
    let (_d, p) = temp("short.npy", &bytes);
    let err = read_tonic_npy(&p, None).unwrap_err();
    assert!(err.to_string().contains("short.npy"), "{err}");
    let (off, msg) = format_error(err);
    assert_eq!(off as usize, bytes.len());
    assert!(msg.contains("2 events of 13 bytes"), "{msg}");

    // A negative x in the second record: the offset points at that field.
    let mut body = vec![0u8; 26];
    body[13 + 8..13 + 10].copy_from_slice(&(-4i16).to_le_bytes());
    let bytes = npy(dict, &body);
    let (_d, p) = temp("neg.npy", &bytes);
    let (off, msg) = format_error(read_tonic_npy(&p, None).unwrap_err());
    assert_eq!(off as usize, bytes.len() - 26 + 13 + 8);
    assert!(msg.contains("event 1 has x = -4"), "{msg}");

    let (_d, p) = temp("junk.npy", b"hello");
    let (off, msg) = format_error(read_tonic_npy(&p, None).unwrap_err());
    assert_eq!(off, 0);
    assert!(msg.contains("not a .npy"), "{msg}");
}

#[test]
fn aedat2_round_trip_and_hand_built_fixture() {
    let s = stream();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ev.aedat");
    write_aedat2_dvs128(&p, &s).unwrap();
    let back = read_aedat2_dvs128(&p).unwrap();
    assert_eq!(back.events, s.events);
    assert_eq!((back.width, back.height), (128, 128));

    // By hand: address 0x0305 = y 3, raw x 2 (x = 127 − 2 = 125), bit 0 set (OFF) at
    // 16 µs; an external event (bit 15) that is skipped; address 0x0100 (y 1, raw x 0 →
    // x 127, ON) at 20 µs.
    let mut b = b"#!AER-DAT2.0\r\n# comment\r\n".to_vec();
    for (a, t) in [(0x0305u32, 16u32), (0x8000, 18), (0x0100, 20)] {
        b.extend_from_slice(&a.to_be_bytes());
        b.extend_from_slice(&t.to_be_bytes());
    }
    let (_d, p) = temp("hand.aedat", &b);
    let s = read_aedat2_dvs128(&p).unwrap();
    assert_eq!(
        s.events,
        vec![
            Event {
                t: 16,
                x: 125,
                y: 3,
                on: false
            },
            Event {
                t: 20,
                x: 127,
                y: 1,
                on: true
            },
        ]
    );
}

#[test]
fn aedat2_rejects_bad_files() {
    let (_d, p) = temp("v3.aedat", b"#!AER-DAT3.1\r\n");
    let (off, msg) = format_error(read_aedat2_dvs128(&p).unwrap_err());
    assert_eq!(off, 0);
    assert!(
        msg.contains("#!AER-DAT3.1") && msg.contains("expected"),
        "{msg}"
    );

    let mut b = b"#!AER-DAT2.0\r\n".to_vec();
    b.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0]);
    let (_d, p) = temp("trunc.aedat", &b);
    let (off, msg) = format_error(read_aedat2_dvs128(&p).unwrap_err());
    assert_eq!(off, 14 + 8);
    assert!(msg.contains("truncated"), "{msg}");

    let mut b = b"#!AER-DAT2.0\r\n".to_vec();
    for t in [9u32, 3] {
        b.extend_from_slice(&2u32.to_be_bytes());
        b.extend_from_slice(&t.to_be_bytes());
    }
    let (_d, p) = temp("back.aedat", &b);
    let (off, msg) = format_error(read_aedat2_dvs128(&p).unwrap_err());
    assert_eq!(off, 14 + 8 + 4);
    assert!(msg.contains("earlier"), "{msg}");
}

#[test]
fn aedat31_round_trip_with_overflow_and_hand_built_fixture() {
    let mut s = stream();
    s.events.push(Event {
        t: (1 << 31) + 5,
        x: 9,
        y: 9,
        on: true,
    });
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ev.aedat");
    write_aedat31(&p, &s, 3).unwrap();
    assert_eq!(read_aedat31(&p, Some((128, 100))).unwrap(), s);

    // By hand: a special-event packet (type 0) that is skipped, then a polarity packet of
    // capacity 3 holding 2 events, the second invalid, with overflow 1.
    let mut b = b"#!AER-DAT3.1\r\n#Format: RAW\r\n#!END-HEADER\r\n".to_vec();
    let header = |b: &mut Vec<u8>, kind: i16, overflow: i32, cap: i32, num: i32| {
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&1i16.to_le_bytes());
        for v in [8, 4, overflow, cap, num, num] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    };
    header(&mut b, 0, 0, 1, 1);
    b.extend_from_slice(&[0xFF; 8]);
    header(&mut b, 1, 1, 3, 2);
    let ev = |x: u32, y: u32, on: u32, valid: u32| (x << 17) | (y << 2) | (on << 1) | valid;
    for (d, t) in [(ev(3, 4, 1, 1), 10i32), (ev(5, 6, 0, 0), 11), (0, 0)] {
        b.extend_from_slice(&d.to_le_bytes());
        b.extend_from_slice(&t.to_le_bytes());
    }
    let (_d, p) = temp("hand3.aedat", &b);
    let s = read_aedat31(&p, None).unwrap();
    assert_eq!(
        s.events,
        vec![Event {
            t: (1 << 31) + 10,
            x: 3,
            y: 4,
            on: true
        }]
    );
}

#[test]
fn aedat31_rejects_bad_files() {
    let (_d, p) = temp("noend.aedat", b"#!AER-DAT3.1\r\n#Format: RAW\r\n");
    let (_, msg) = format_error(read_aedat31(&p, None).unwrap_err());
    assert!(msg.contains("END-HEADER"), "{msg}");

    let head = b"#!AER-DAT3.1\r\n#!END-HEADER\r\n".to_vec();
    let mut b = head.clone();
    b.extend_from_slice(&[1, 0, 1, 0]);
    let (_d, p) = temp("h.aedat", &b);
    let (off, msg) = format_error(read_aedat31(&p, None).unwrap_err());
    assert_eq!(off as usize, head.len());
    assert!(msg.contains("truncated packet header"), "{msg}");

    let mut b = head.clone();
    b.extend_from_slice(&1i16.to_le_bytes());
    b.extend_from_slice(&1i16.to_le_bytes());
    for v in [8i32, 4, 0, 5, 5, 5] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&[0; 16]);
    let (_d, p) = temp("short.aedat", &b);
    let (off, msg) = format_error(read_aedat31(&p, None).unwrap_err());
    assert_eq!(off as usize, head.len() + 28);
    assert!(msg.contains("runs past the end"), "{msg}");
}
