//! Byte offsets of the `mjModel` and `mjData` fields that this crate reads, and the enum values
//! it passes, for MuJoCo 4.0.0 (x86-64 / aarch64 Linux, `mjtNum` = `double`, `mjtSize` =
//! `int64_t`, `mjtBool` = 1 byte).
//!
//! Derived from the headers in `data/mujoco/include/mujoco/` by `tools/layout.c` (`offsetof`
//! on the real structs) rather than by re-declaring the ~1,000-field structs in Rust. They are
//! checked three ways: the test `layout_matches_headers` recompiles `tools/layout.c` and compares
//! every number; every model and data made at run time cross-checks its sizes and state arrays
//! against MuJoCo's own accessors (`mj_stateSize`, `mj_getState`); and the swimmer checks
//! `geom_xpos`, `xmat` and `sensordata` against each other and against forward kinematics.

/// `mjVERSION_HEADER` of the headers these offsets come from (4.0.0).
pub const VERSION: i32 = 4_000_000;

// mjModel: sizes (mjtSize, 8 bytes each).
pub const MODEL_NQ: usize = 0;
pub const MODEL_NV: usize = 8;
pub const MODEL_NU: usize = 16;
pub const MODEL_NA: usize = 40;
pub const MODEL_NBODY: usize = 48;
pub const MODEL_NJNT: usize = 88;
pub const MODEL_NGEOM: usize = 136;
pub const MODEL_NSITE: usize = 144;
pub const MODEL_NLIGHT: usize = 160;
pub const MODEL_NSENSOR: usize = 496;
pub const MODEL_NSENSORDATA: usize = 744;
// mjModel.opt (mjOption) fields.
pub const MODEL_OPT_TIMESTEP: usize = 792;
pub const MODEL_OPT_INTEGRATOR: usize = 1040;
// mjModel arrays (pointers).
pub const MODEL_JNT_TYPE: usize = 2104;
pub const MODEL_JNT_QPOSADR: usize = 2112;
pub const MODEL_JNT_DOFADR: usize = 2120;
pub const MODEL_JNT_LIMITED: usize = 2160;
pub const MODEL_JNT_RANGE: usize = 2240;
pub const MODEL_GEOM_SIZE: usize = 2552;
pub const MODEL_GEOM_POS: usize = 2576;
pub const MODEL_LIGHT_POS: usize = 2952;
pub const MODEL_SENSOR_DIM: usize = 5120;
pub const MODEL_SENSOR_ADR: usize = 5128;

// mjData scalars.
pub const DATA_TIME: usize = 160648;
pub const DATA_WARNING: usize = 160264;
pub const SIZEOF_WARNINGSTAT: usize = 8;
pub const WARNINGSTAT_NUMBER: usize = 4;
// mjData arrays (pointers).
pub const DATA_QPOS: usize = 160688;
pub const DATA_QVEL: usize = 160696;
pub const DATA_ACT: usize = 160704;
pub const DATA_CTRL: usize = 160744;
pub const DATA_SENSORDATA: usize = 160816;
pub const DATA_XPOS: usize = 160848;
pub const DATA_XMAT: usize = 160864;
pub const DATA_GEOM_XPOS: usize = 160912;
pub const DATA_SITE_XPOS: usize = 160936;
pub const DATA_SITE_XMAT: usize = 160952;

// Enums (mjtWarning, mjtState, mjtObj, mjtJoint, mjtIntegrator).
pub const MJ_NWARNING: usize = 7;
pub const MJ_WARN_BADQACC: usize = 5;
pub const MJ_STATE_TIME: i32 = 1;
pub const MJ_STATE_QPOS: i32 = 2;
pub const MJ_STATE_QVEL: i32 = 4;
pub const MJ_STATE_ACT: i32 = 8;
pub const MJ_STATE_CTRL: i32 = 64;
pub const MJ_STATE_FULLPHYSICS: i32 = 24607;
pub const MJ_STATE_INTEGRATION: i32 = 32767;
pub const MJ_OBJ_BODY: i32 = 1;
pub const MJ_OBJ_JOINT: i32 = 3;
pub const MJ_OBJ_GEOM: i32 = 5;
pub const MJ_OBJ_SITE: i32 = 6;
pub const MJ_OBJ_LIGHT: i32 = 8;
pub const MJ_OBJ_ACTUATOR: i32 = 19;
pub const MJ_OBJ_SENSOR: i32 = 20;
pub const MJ_JNT_FREE: i32 = 0;
pub const MJ_JNT_BALL: i32 = 1;
pub const MJ_JNT_SLIDE: i32 = 2;
pub const MJ_JNT_HINGE: i32 = 3;
pub const MJ_INT_EULER: i32 = 0;

/// Every constant above as `(name printed by tools/layout.c, value)`, for the header test.
pub const ALL: &[(&str, i64)] = &[
    ("VERSION", VERSION as i64),
    ("SIZEOF_MJTNUM", 8),
    ("SIZEOF_MJTSIZE", 8),
    ("SIZEOF_MJTBOOL", 1),
    ("MODEL_nq", MODEL_NQ as i64),
    ("MODEL_nv", MODEL_NV as i64),
    ("MODEL_nu", MODEL_NU as i64),
    ("MODEL_na", MODEL_NA as i64),
    ("MODEL_nbody", MODEL_NBODY as i64),
    ("MODEL_njnt", MODEL_NJNT as i64),
    ("MODEL_ngeom", MODEL_NGEOM as i64),
    ("MODEL_nsite", MODEL_NSITE as i64),
    ("MODEL_nlight", MODEL_NLIGHT as i64),
    ("MODEL_nsensor", MODEL_NSENSOR as i64),
    ("MODEL_nsensordata", MODEL_NSENSORDATA as i64),
    ("MODEL_opt_timestep", MODEL_OPT_TIMESTEP as i64),
    ("MODEL_opt_integrator", MODEL_OPT_INTEGRATOR as i64),
    ("MODEL_jnt_type", MODEL_JNT_TYPE as i64),
    ("MODEL_jnt_qposadr", MODEL_JNT_QPOSADR as i64),
    ("MODEL_jnt_dofadr", MODEL_JNT_DOFADR as i64),
    ("MODEL_jnt_limited", MODEL_JNT_LIMITED as i64),
    ("MODEL_jnt_range", MODEL_JNT_RANGE as i64),
    ("MODEL_geom_size", MODEL_GEOM_SIZE as i64),
    ("MODEL_geom_pos", MODEL_GEOM_POS as i64),
    ("MODEL_light_pos", MODEL_LIGHT_POS as i64),
    ("MODEL_sensor_dim", MODEL_SENSOR_DIM as i64),
    ("MODEL_sensor_adr", MODEL_SENSOR_ADR as i64),
    ("DATA_time", DATA_TIME as i64),
    ("DATA_warning", DATA_WARNING as i64),
    ("SIZEOF_WARNINGSTAT", SIZEOF_WARNINGSTAT as i64),
    ("WARNINGSTAT_number", WARNINGSTAT_NUMBER as i64),
    ("DATA_qpos", DATA_QPOS as i64),
    ("DATA_qvel", DATA_QVEL as i64),
    ("DATA_act", DATA_ACT as i64),
    ("DATA_ctrl", DATA_CTRL as i64),
    ("DATA_sensordata", DATA_SENSORDATA as i64),
    ("DATA_xpos", DATA_XPOS as i64),
    ("DATA_xmat", DATA_XMAT as i64),
    ("DATA_geom_xpos", DATA_GEOM_XPOS as i64),
    ("DATA_site_xpos", DATA_SITE_XPOS as i64),
    ("DATA_site_xmat", DATA_SITE_XMAT as i64),
    ("mjNWARNING", MJ_NWARNING as i64),
    ("mjWARN_BADQACC", MJ_WARN_BADQACC as i64),
    ("mjSTATE_TIME", MJ_STATE_TIME as i64),
    ("mjSTATE_QPOS", MJ_STATE_QPOS as i64),
    ("mjSTATE_QVEL", MJ_STATE_QVEL as i64),
    ("mjSTATE_ACT", MJ_STATE_ACT as i64),
    ("mjSTATE_CTRL", MJ_STATE_CTRL as i64),
    ("mjSTATE_FULLPHYSICS", MJ_STATE_FULLPHYSICS as i64),
    ("mjSTATE_INTEGRATION", MJ_STATE_INTEGRATION as i64),
    ("mjOBJ_BODY", MJ_OBJ_BODY as i64),
    ("mjOBJ_JOINT", MJ_OBJ_JOINT as i64),
    ("mjOBJ_GEOM", MJ_OBJ_GEOM as i64),
    ("mjOBJ_SITE", MJ_OBJ_SITE as i64),
    ("mjOBJ_LIGHT", MJ_OBJ_LIGHT as i64),
    ("mjOBJ_ACTUATOR", MJ_OBJ_ACTUATOR as i64),
    ("mjOBJ_SENSOR", MJ_OBJ_SENSOR as i64),
    ("mjJNT_FREE", MJ_JNT_FREE as i64),
    ("mjJNT_BALL", MJ_JNT_BALL as i64),
    ("mjJNT_SLIDE", MJ_JNT_SLIDE as i64),
    ("mjJNT_HINGE", MJ_JNT_HINGE as i64),
    ("mjINT_EULER", MJ_INT_EULER as i64),
];
