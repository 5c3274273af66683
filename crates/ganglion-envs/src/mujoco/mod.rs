//! MuJoCo (Todorov, Erez & Tassa 2012, "MuJoCo: A physics engine for model-based control",
//! IROS) through its C API, loaded at run time.
//!
//! The library is `libmujoco.so.4.0.0` from the PyPI wheel `mujoco-core==4.0.0`, which
//! `scripts/fetch-data.sh mujoco` unpacks into `data/mujoco/`. It is opened with `libloading`
//! on first use, so that Ganglion builds and tests on machines without it; [`load`] says how to
//! get it when it is missing. Found, in order: the file `$GANGLION_MUJOCO` (only that, when
//! set), then `data/mujoco/libmujoco.so.4.0.0` in this crate's source folder at build time or
//! any folder above it (the workspace's `data/`), then the same above the running executable's
//! folder (a copied build next to its `data/`). The current folder is not searched, so that
//! running in an untrusted checkout cannot load its library.
//!
//! The safe types: [`Model`] (a compiled `mjModel`, from MJCF XML) and [`Simulation`] (its own
//! copy of a model plus one `mjData`: stepping, state save/restore and the arrays the
//! environments read). Fields are read at the byte offsets in [`layout`], taken from the 4.0.0
//! headers (the test `layout_matches_headers` compares every one with the headers), and the
//! library must report exactly that version. At run time only some of them are cross-checked
//! against MuJoCo's own accessors: the sizes nq, nv, na, nu and the state arrays time, qpos,
//! qvel, act, ctrl (against `mj_stateSize`/`mj_setState`), plus plausibility checks of the time
//! step and joint types; the swimmer also checks `geom_xpos`, `xmat`, `geom_pos` and
//! `sensordata` against each other. The other offsets rely on the exact version.
//!
//! All of the crate's `unsafe` code is in this module.

pub mod layout;
mod library;

use library::{Api, Mdfn, MjData, MjModel, api};
pub use library::{available, candidates, load};

use libloading::Library;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::OnceLock;

/// The library's file name, as `scripts/fetch-data.sh mujoco` writes it.
pub const LIBRARY_FILE: &str = "libmujoco.so.4.0.0";

/// What can go wrong loading MuJoCo or a model.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MujocoError {
    /// The library file was not found (the message lists where it was looked for).
    #[error(
        "MuJoCo ({LIBRARY_FILE}) not found (looked in {searched})\n  hint: fetch it with \
         scripts/fetch-data.sh mujoco, or set GANGLION_MUJOCO to the path of {LIBRARY_FILE}"
    )]
    NotFound {
        /// The places searched, comma-separated.
        searched: String,
    },
    /// The file exists but could not be opened as MuJoCo 4.0.
    #[error("cannot use {path} as MuJoCo 4.0: {reason}")]
    Load {
        /// The library file.
        path: PathBuf,
        /// Why (dlopen's message, a missing symbol, a version mismatch).
        reason: String,
    },
    /// MuJoCo rejected an MJCF model (its own message).
    #[error("MuJoCo rejected the model: {0}")]
    Model(String),
    /// A name looked up in a model does not exist.
    #[error("the model has no {kind} named {name:?}")]
    UnknownName {
        /// Object kind (body, joint, geom, ...).
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// A struct-layout self-check failed: the library is not the 4.0.0 these offsets are for.
    #[error(
        "MuJoCo struct layout check failed ({0}); this crate reads the mjModel/mjData layout \
         of MuJoCo 4.0.0 (scripts/fetch-data.sh mujoco fetches that version)"
    )]
    Layout(String),
    /// A saved state does not fit this model.
    #[error("a saved state of {got} numbers does not fit this model, which needs {want}")]
    StateSize {
        /// Length given.
        got: usize,
        /// Length the model's state needs.
        want: usize,
    },
}

/// Kinds of named model objects ([`Model::id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obj {
    /// A body (`mjOBJ_BODY`).
    Body,
    /// A joint (`mjOBJ_JOINT`).
    Joint,
    /// A geom (`mjOBJ_GEOM`).
    Geom,
    /// A site (`mjOBJ_SITE`).
    Site,
    /// A light (`mjOBJ_LIGHT`).
    Light,
    /// An actuator (`mjOBJ_ACTUATOR`).
    Actuator,
    /// A sensor (`mjOBJ_SENSOR`).
    Sensor,
}

impl Obj {
    fn code(self) -> c_int {
        match self {
            Obj::Body => layout::MJ_OBJ_BODY,
            Obj::Joint => layout::MJ_OBJ_JOINT,
            Obj::Geom => layout::MJ_OBJ_GEOM,
            Obj::Site => layout::MJ_OBJ_SITE,
            Obj::Light => layout::MJ_OBJ_LIGHT,
            Obj::Actuator => layout::MJ_OBJ_ACTUATOR,
            Obj::Sensor => layout::MJ_OBJ_SENSOR,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Obj::Body => "body",
            Obj::Joint => "joint",
            Obj::Geom => "geom",
            Obj::Site => "site",
            Obj::Light => "light",
            Obj::Actuator => "actuator",
            Obj::Sensor => "sensor",
        }
    }
}

/// Joint types (`mjtJoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JointType {
    /// Free joint: 7 qpos (position, quaternion), 6 dofs.
    Free,
    /// Ball joint: 4 qpos (quaternion), 3 dofs.
    Ball,
    /// Slide joint: 1 qpos \[m\].
    Slide,
    /// Hinge joint: 1 qpos \[rad\].
    Hinge,
}

/// Reads a `T` at byte `offset` of the struct at `base`.
///
/// SAFETY (for callers): `base` points to a live `mjModel`/`mjData` and `offset` is one of the
/// [`layout`] offsets of a field of type `T`.
unsafe fn field<T: Copy>(base: *const u8, offset: usize) -> T {
    // SAFETY: per the caller's contract; MuJoCo's structs are naturally aligned.
    unsafe { base.add(offset).cast::<T>().read() }
}

/// A compiled MuJoCo model (`mjModel`). Read-only except for the few parameter setters, which
/// take `&mut self`.
pub struct Model {
    ptr: NonNull<MjModel>,
    api: &'static Api,
}

// SAFETY: an mjModel is a plain heap block owned by this value; MuJoCo never mutates a model
// through `const mjModel*` (the step functions), so shared references may cross threads.
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Model {
    /// Compiles MJCF `xml` (self-contained: no `<include>`s or asset files).
    pub fn from_xml(xml: &str) -> Result<Model, MujocoError> {
        let api = api()?;
        let c_xml = CString::new(xml)
            .map_err(|_| MujocoError::Model("the XML contains a NUL byte".into()))?;
        let mut err = vec![0 as c_char; 1000];
        // SAFETY: `c_xml` is NUL-terminated; the VFS may be NULL; `err` holds `err.len()` bytes.
        let spec = unsafe {
            let len = c_int::try_from(err.len()).expect("small buffer");
            (api.parse_xml_string)(c_xml.as_ptr(), std::ptr::null(), err.as_mut_ptr(), len)
        };
        if spec.is_null() {
            // SAFETY: MuJoCo wrote a NUL-terminated message into `err` (zeroed beforehand).
            let msg = unsafe { CStr::from_ptr(err.as_ptr()) }
                .to_string_lossy()
                .into_owned();
            return Err(MujocoError::Model(msg));
        }
        // SAFETY: `spec` is a live spec from mj_parseXMLString; it is deleted exactly once below,
        // after its error string has been copied.
        let model = unsafe { (api.compile)(spec, std::ptr::null()) };
        let result = match NonNull::new(model) {
            Some(ptr) => Ok(Model { ptr, api }),
            None => {
                // SAFETY: `spec` is live; mjs_getError returns a NUL-terminated string it owns.
                let msg = unsafe { CStr::from_ptr((api.spec_error)(spec)) }
                    .to_string_lossy()
                    .into_owned();
                Err(MujocoError::Model(msg))
            }
        };
        // SAFETY: the compiled model does not refer to the spec.
        unsafe { (api.delete_spec)(spec) };
        let model = result?;
        model.check_layout()?;
        Ok(model)
    }

    fn raw(&self) -> *const u8 {
        self.ptr.as_ptr().cast::<u8>().cast_const()
    }

    /// The size field at `offset`; an error when it reads negative (a layout mismatch).
    fn size_checked(&self, name: &str, offset: usize) -> Result<usize, MujocoError> {
        // SAFETY: `offset` is a layout offset of an `mjtSize` (int64) size field.
        let n: i64 = unsafe { field(self.raw(), offset) };
        usize::try_from(n).map_err(|_| MujocoError::Layout(format!("mjModel.{name} read as {n}")))
    }

    /// A size field, all of which [`Model::check_layout`] found non-negative when the model
    /// was made (sizes never change afterwards).
    fn size(&self, offset: usize) -> usize {
        self.size_checked("size", offset)
            .expect("sizes are checked when the model is made")
    }

    /// The `mjModel` array at `offset` (pointer field) of `len` elements.
    fn array<T>(&self, offset: usize, len: usize) -> &[T] {
        // SAFETY: `offset` is a layout offset of a pointer to `len` elements of `T` (the header
        // gives each array's length in terms of the model sizes used by the callers); the
        // model outlives the slice, and is only mutated through `&mut self`.
        unsafe {
            let p: *const T = field(self.raw(), offset);
            if len == 0 || p.is_null() {
                &[]
            } else {
                std::slice::from_raw_parts(p, len)
            }
        }
    }

    fn array_mut<T>(&mut self, offset: usize, len: usize) -> &mut [T] {
        // SAFETY: as `array`, and `&mut self` makes this the only reference into the model.
        unsafe {
            let p: *mut T = field(self.raw(), offset);
            if len == 0 || p.is_null() {
                &mut []
            } else {
                std::slice::from_raw_parts_mut(p, len)
            }
        }
    }

    /// Checks that every size field read through [`layout`] is non-negative, nq, nv, na and
    /// nu against `mj_stateSize`, and the time step and joint types against their ranges.
    fn check_layout(&self) -> Result<(), MujocoError> {
        let sizes = [
            ("nq", layout::MODEL_NQ),
            ("nv", layout::MODEL_NV),
            ("nu", layout::MODEL_NU),
            ("na", layout::MODEL_NA),
            ("nbody", layout::MODEL_NBODY),
            ("njnt", layout::MODEL_NJNT),
            ("ngeom", layout::MODEL_NGEOM),
            ("nsite", layout::MODEL_NSITE),
            ("nlight", layout::MODEL_NLIGHT),
            ("nsensor", layout::MODEL_NSENSOR),
            ("nsensordata", layout::MODEL_NSENSORDATA),
        ];
        for (name, offset) in sizes {
            self.size_checked(name, offset)?;
        }
        let pairs = [
            ("nq", self.nq(), layout::MJ_STATE_QPOS),
            ("nv", self.nv(), layout::MJ_STATE_QVEL),
            ("na", self.na(), layout::MJ_STATE_ACT),
            ("nu", self.nu(), layout::MJ_STATE_CTRL),
        ];
        for (name, read, sig) in pairs {
            let want = self.state_size_of(sig);
            if read != want {
                return Err(MujocoError::Layout(format!(
                    "mjModel.{name} read as {read}, mj_stateSize says {want}"
                )));
            }
        }
        if self.state_size_of(layout::MJ_STATE_TIME) != 1 {
            return Err(MujocoError::Layout("mj_stateSize(TIME) is not 1".into()));
        }
        let dt = self.timestep();
        if !(dt > 0.0 && dt < 1.0) {
            return Err(MujocoError::Layout(format!(
                "mjModel.opt.timestep read as {dt}"
            )));
        }
        let jt = self.array::<c_int>(layout::MODEL_JNT_TYPE, self.njnt());
        if jt.iter().any(|&t| !(0..=3).contains(&t)) {
            return Err(MujocoError::Layout(format!(
                "mjModel.jnt_type read as {jt:?}"
            )));
        }
        Ok(())
    }

    fn state_size_of(&self, sig: c_int) -> usize {
        // SAFETY: the model is live; mj_stateSize only reads sizes.
        let n = unsafe { (self.api.state_size)(self.ptr.as_ptr(), sig) };
        usize::try_from(n).unwrap_or(0)
    }

    /// Number of generalised coordinates (length of `qpos`).
    pub fn nq(&self) -> usize {
        self.size(layout::MODEL_NQ)
    }
    /// Number of degrees of freedom (length of `qvel`).
    pub fn nv(&self) -> usize {
        self.size(layout::MODEL_NV)
    }
    /// Number of controls (length of `ctrl`).
    pub fn nu(&self) -> usize {
        self.size(layout::MODEL_NU)
    }
    /// Number of actuator activations (length of `act`).
    pub fn na(&self) -> usize {
        self.size(layout::MODEL_NA)
    }
    /// Number of bodies, the world body (id 0) included.
    pub fn nbody(&self) -> usize {
        self.size(layout::MODEL_NBODY)
    }
    /// Number of joints.
    pub fn njnt(&self) -> usize {
        self.size(layout::MODEL_NJNT)
    }
    /// Number of geoms.
    pub fn ngeom(&self) -> usize {
        self.size(layout::MODEL_NGEOM)
    }
    /// Number of sites.
    pub fn nsite(&self) -> usize {
        self.size(layout::MODEL_NSITE)
    }
    /// Number of lights.
    pub fn nlight(&self) -> usize {
        self.size(layout::MODEL_NLIGHT)
    }
    /// Number of sensors.
    pub fn nsensor(&self) -> usize {
        self.size(layout::MODEL_NSENSOR)
    }
    /// Length of `sensordata` (sum of the sensors' dimensions).
    pub fn nsensordata(&self) -> usize {
        self.size(layout::MODEL_NSENSORDATA)
    }
    /// Physics time step `opt.timestep` \[s\].
    pub fn timestep(&self) -> f64 {
        // SAFETY: the layout offset of `opt.timestep`, an mjtNum.
        unsafe { field(self.raw(), layout::MODEL_OPT_TIMESTEP) }
    }
    /// Integrator `opt.integrator` (`mjtIntegrator`; 0 = semi-implicit Euler).
    pub fn integrator(&self) -> i32 {
        // SAFETY: the layout offset of `opt.integrator`, an int.
        unsafe { field(self.raw(), layout::MODEL_OPT_INTEGRATOR) }
    }

    /// Id of the object `name` of kind `kind`.
    pub fn id(&self, kind: Obj, name: &str) -> Result<usize, MujocoError> {
        let unknown = || MujocoError::UnknownName {
            kind: kind.name(),
            name: name.to_string(),
        };
        let c = CString::new(name).map_err(|_| unknown())?;
        // SAFETY: the model is live and `c` NUL-terminated.
        let id = unsafe { (self.api.name2id)(self.ptr.as_ptr(), kind.code(), c.as_ptr()) };
        usize::try_from(id).map_err(|_| unknown())
    }

    fn check(&self, what: &str, id: usize, n: usize) {
        assert!(id < n, "{what} id {id} out of range: the model has {n}");
    }

    /// Type of joint `j`.
    pub fn jnt_type(&self, j: usize) -> JointType {
        self.check("joint", j, self.njnt());
        match self.array::<c_int>(layout::MODEL_JNT_TYPE, self.njnt())[j] {
            layout::MJ_JNT_FREE => JointType::Free,
            layout::MJ_JNT_BALL => JointType::Ball,
            layout::MJ_JNT_SLIDE => JointType::Slide,
            _ => JointType::Hinge,
        }
    }
    /// Index of joint `j`'s first coordinate in `qpos`.
    pub fn jnt_qposadr(&self, j: usize) -> usize {
        self.check("joint", j, self.njnt());
        self.array::<c_int>(layout::MODEL_JNT_QPOSADR, self.njnt())[j] as usize
    }
    /// Index of joint `j`'s first degree of freedom in `qvel`.
    pub fn jnt_dofadr(&self, j: usize) -> usize {
        self.check("joint", j, self.njnt());
        self.array::<c_int>(layout::MODEL_JNT_DOFADR, self.njnt())[j] as usize
    }
    /// Whether joint `j` has limits.
    pub fn jnt_limited(&self, j: usize) -> bool {
        self.check("joint", j, self.njnt());
        self.array::<u8>(layout::MODEL_JNT_LIMITED, self.njnt())[j] != 0
    }
    /// Joint `j`'s limits `[lower, upper]` (\[rad\] for hinges, \[m\] for slides).
    pub fn jnt_range(&self, j: usize) -> [f64; 2] {
        self.check("joint", j, self.njnt());
        let r = self.array::<f64>(layout::MODEL_JNT_RANGE, 2 * self.njnt());
        [r[2 * j], r[2 * j + 1]]
    }
    /// Geom `g`'s size parameters (meaning depends on the geom type; a sphere's radius is `[0]`).
    pub fn geom_size(&self, g: usize) -> [f64; 3] {
        self.check("geom", g, self.ngeom());
        let s = self.array::<f64>(layout::MODEL_GEOM_SIZE, 3 * self.ngeom());
        [s[3 * g], s[3 * g + 1], s[3 * g + 2]]
    }
    /// Geom `g`'s position in its body's frame \[m\].
    pub fn geom_pos(&self, g: usize) -> [f64; 3] {
        self.check("geom", g, self.ngeom());
        let s = self.array::<f64>(layout::MODEL_GEOM_POS, 3 * self.ngeom());
        [s[3 * g], s[3 * g + 1], s[3 * g + 2]]
    }
    /// Moves geom `g` within its body's frame \[m\] (takes effect at the next forward pass).
    pub fn set_geom_pos(&mut self, g: usize, pos: [f64; 3]) {
        self.check("geom", g, self.ngeom());
        let n = self.ngeom();
        self.array_mut::<f64>(layout::MODEL_GEOM_POS, 3 * n)[3 * g..3 * g + 3]
            .copy_from_slice(&pos);
    }
    /// Light `l`'s position in its body's frame \[m\].
    pub fn light_pos(&self, l: usize) -> [f64; 3] {
        self.check("light", l, self.nlight());
        let s = self.array::<f64>(layout::MODEL_LIGHT_POS, 3 * self.nlight());
        [s[3 * l], s[3 * l + 1], s[3 * l + 2]]
    }
    /// Moves light `l` within its body's frame \[m\] (rendering only; no effect on physics).
    pub fn set_light_pos(&mut self, l: usize, pos: [f64; 3]) {
        self.check("light", l, self.nlight());
        let n = self.nlight();
        self.array_mut::<f64>(layout::MODEL_LIGHT_POS, 3 * n)[3 * l..3 * l + 3]
            .copy_from_slice(&pos);
    }
    /// Start of sensor `s`'s values in `sensordata`, and their number.
    pub fn sensor_span(&self, s: usize) -> (usize, usize) {
        self.check("sensor", s, self.nsensor());
        let adr = self.array::<c_int>(layout::MODEL_SENSOR_ADR, self.nsensor())[s];
        let dim = self.array::<c_int>(layout::MODEL_SENSOR_DIM, self.nsensor())[s];
        (adr as usize, dim as usize)
    }
}

impl Clone for Model {
    fn clone(&self) -> Model {
        // SAFETY: copying a live model into a new allocation (dest NULL) returns an independent
        // model or NULL when out of memory.
        let p = unsafe { (self.api.copy_model)(std::ptr::null_mut(), self.ptr.as_ptr()) };
        let ptr = NonNull::new(p).expect("mj_copyModel failed (out of memory)");
        Model { ptr, api: self.api }
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: this value owns the model, and every Simulation owns its own copy.
        unsafe { (self.api.delete_model)(self.ptr.as_ptr()) };
    }
}

/// A model together with its simulation state (`mjData`): the unit one worker steps.
pub struct Simulation {
    model: Model,
    data: NonNull<MjData>,
}

// SAFETY: the simulation owns its model copy and its data; `&self` methods only read them and
// mutation needs `&mut self`, so moving or sharing it across threads is sound.
unsafe impl Send for Simulation {}
unsafe impl Sync for Simulation {}

impl Simulation {
    /// A simulation of (a private copy of) `model`, in the model's reference state
    /// (`mj_resetData`; positions not yet propagated: call [`Simulation::forward`]).
    pub fn new(model: &Model) -> Result<Simulation, MujocoError> {
        let model = model.clone();
        // SAFETY: the model is live; mj_makeData returns NULL only when out of memory.
        let p = unsafe { (model.api.make_data)(model.ptr.as_ptr()) };
        let data = NonNull::new(p)
            .ok_or_else(|| MujocoError::Model("mj_makeData failed (out of memory)".into()))?;
        let mut sim = Simulation { model, data };
        sim.check_layout()?;
        sim.reset();
        Ok(sim)
    }

    /// Writes a distinct pattern into time, qpos, qvel, act and ctrl through `mj_setState` and
    /// reads it back through the [`layout`] offsets.
    fn check_layout(&mut self) -> Result<(), MujocoError> {
        let m = &self.model;
        let parts: [(&str, c_int, usize); 5] = [
            ("time", layout::MJ_STATE_TIME, 1),
            ("qpos", layout::MJ_STATE_QPOS, m.nq()),
            ("qvel", layout::MJ_STATE_QVEL, m.nv()),
            ("act", layout::MJ_STATE_ACT, m.na()),
            ("ctrl", layout::MJ_STATE_CTRL, m.nu()),
        ];
        for (k, (name, sig, n)) in parts.into_iter().enumerate() {
            let pattern: Vec<f64> = (0..n).map(|i| 0.25 + k as f64 + i as f64 / 64.0).collect();
            self.set_state_raw(&pattern, sig);
            let read: Vec<f64> = match name {
                "time" => vec![self.time()],
                "qpos" => self.qpos().to_vec(),
                "qvel" => self.qvel().to_vec(),
                "act" => self.act().to_vec(),
                _ => self.ctrl().to_vec(),
            };
            if read != pattern {
                return Err(MujocoError::Layout(format!(
                    "mjData.{name} read {read:?} after mj_setState wrote {pattern:?}"
                )));
            }
        }
        Ok(())
    }

    fn raw(&self) -> *const u8 {
        self.data.as_ptr().cast::<u8>().cast_const()
    }

    fn array(&self, offset: usize, len: usize) -> &[f64] {
        // SAFETY: `offset` is the layout offset of an mjtNum array of `len` elements (lengths
        // from the header comments, in terms of the model's sizes); the data outlives the
        // slice and is only mutated through `&mut self`.
        unsafe {
            let p: *const f64 = field(self.raw(), offset);
            if len == 0 || p.is_null() {
                &[]
            } else {
                std::slice::from_raw_parts(p, len)
            }
        }
    }

    fn array_mut(&mut self, offset: usize, len: usize) -> &mut [f64] {
        // SAFETY: as `array`; `&mut self` makes this the only live reference into the data.
        unsafe {
            let p: *mut f64 = field(self.raw(), offset);
            if len == 0 || p.is_null() {
                &mut []
            } else {
                std::slice::from_raw_parts_mut(p, len)
            }
        }
    }

    fn call(&mut self, f: Mdfn) {
        // SAFETY: model and data are live and belong together (the data was made from this
        // model, whose sizes never change).
        unsafe { f(self.model.ptr.as_ptr(), self.data.as_ptr()) }
    }

    /// The simulation's model.
    pub fn model(&self) -> &Model {
        &self.model
    }
    /// Moves geom `g` within its body's frame \[m\] (takes effect at the next forward pass).
    /// The only model parameters a simulation lets change: a `&mut Model` would let safe code
    /// swap in a model whose sizes do not fit this `mjData`.
    pub fn set_geom_pos(&mut self, g: usize, pos: [f64; 3]) {
        self.model.set_geom_pos(g, pos);
    }
    /// Moves light `l` within its body's frame \[m\] (rendering only; no effect on physics).
    pub fn set_light_pos(&mut self, l: usize, pos: [f64; 3]) {
        self.model.set_light_pos(l, pos);
    }

    /// One physics step (`mj_step`).
    pub fn step(&mut self) {
        self.call(self.model.api.step);
    }
    /// First half of a step (`mj_step1`: positions, velocities and what depends on them).
    pub fn step1(&mut self) {
        self.call(self.model.api.step1);
    }
    /// Second half of a step (`mj_step2`: actuation, acceleration, integration).
    pub fn step2(&mut self) {
        self.call(self.model.api.step2);
    }
    /// Forward dynamics without integrating (`mj_forward`): brings every derived quantity up
    /// to date with the state.
    pub fn forward(&mut self) {
        self.call(self.model.api.forward);
    }
    /// Back to the model's reference state (`mj_resetData`): qpos = qpos0, zero velocity,
    /// controls and time.
    pub fn reset(&mut self) {
        self.call(self.model.api.reset_data);
    }

    /// Simulation time \[s\].
    pub fn time(&self) -> f64 {
        // SAFETY: the layout offset of mjData.time, an mjtNum.
        unsafe { field(self.raw(), layout::DATA_TIME) }
    }
    /// Generalised coordinates (length nq).
    pub fn qpos(&self) -> &[f64] {
        self.array(layout::DATA_QPOS, self.model.nq())
    }
    /// Generalised coordinates, writable (call [`Simulation::forward`] after writing).
    pub fn qpos_mut(&mut self) -> &mut [f64] {
        let n = self.model.nq();
        self.array_mut(layout::DATA_QPOS, n)
    }
    /// Generalised velocities (length nv).
    pub fn qvel(&self) -> &[f64] {
        self.array(layout::DATA_QVEL, self.model.nv())
    }
    /// Generalised velocities, writable.
    pub fn qvel_mut(&mut self) -> &mut [f64] {
        let n = self.model.nv();
        self.array_mut(layout::DATA_QVEL, n)
    }
    /// Actuator activations (length na).
    pub fn act(&self) -> &[f64] {
        self.array(layout::DATA_ACT, self.model.na())
    }
    /// Controls (length nu).
    pub fn ctrl(&self) -> &[f64] {
        self.array(layout::DATA_CTRL, self.model.nu())
    }
    /// Controls, writable (MuJoCo clamps them to `ctrlrange` where `ctrllimited`).
    pub fn ctrl_mut(&mut self) -> &mut [f64] {
        let n = self.model.nu();
        self.array_mut(layout::DATA_CTRL, n)
    }
    /// All sensor values (length nsensordata; [`Model::sensor_span`] says where each is).
    pub fn sensordata(&self) -> &[f64] {
        self.array(layout::DATA_SENSORDATA, self.model.nsensordata())
    }
    /// Body `b`'s frame origin in world coordinates \[m\].
    pub fn xpos(&self, b: usize) -> [f64; 3] {
        self.model.check("body", b, self.model.nbody());
        let a = self.array(layout::DATA_XPOS, 3 * self.model.nbody());
        [a[3 * b], a[3 * b + 1], a[3 * b + 2]]
    }
    /// Body `b`'s orientation as a row-major 3×3 rotation matrix (columns: the body's axes in
    /// world coordinates).
    pub fn xmat(&self, b: usize) -> [f64; 9] {
        self.model.check("body", b, self.model.nbody());
        let a = self.array(layout::DATA_XMAT, 9 * self.model.nbody());
        a[9 * b..9 * b + 9].try_into().expect("9 elements")
    }
    /// Geom `g`'s centre in world coordinates \[m\].
    pub fn geom_xpos(&self, g: usize) -> [f64; 3] {
        self.model.check("geom", g, self.model.ngeom());
        let a = self.array(layout::DATA_GEOM_XPOS, 3 * self.model.ngeom());
        [a[3 * g], a[3 * g + 1], a[3 * g + 2]]
    }
    /// Site `s`'s position in world coordinates \[m\].
    pub fn site_xpos(&self, s: usize) -> [f64; 3] {
        self.model.check("site", s, self.model.nsite());
        let a = self.array(layout::DATA_SITE_XPOS, 3 * self.model.nsite());
        [a[3 * s], a[3 * s + 1], a[3 * s + 2]]
    }
    /// Site `s`'s orientation, row-major 3×3.
    pub fn site_xmat(&self, s: usize) -> [f64; 9] {
        self.model.check("site", s, self.model.nsite());
        let a = self.array(layout::DATA_SITE_XMAT, 9 * self.model.nsite());
        a[9 * s..9 * s + 9].try_into().expect("9 elements")
    }
    /// How many times MuJoCo found the accelerations bad (NaN or huge) and reset the state
    /// since the last reset (`warning[mjWARN_BADQACC].number`): non-zero means the simulation
    /// went unstable.
    pub fn unstable_count(&self) -> i32 {
        const { assert!(layout::MJ_WARN_BADQACC < layout::MJ_NWARNING) };
        let off = layout::DATA_WARNING
            + layout::MJ_WARN_BADQACC * layout::SIZEOF_WARNINGSTAT
            + layout::WARNINGSTAT_NUMBER;
        // SAFETY: `off` addresses the int `number` of warning[mjWARN_BADQACC] (an array of
        // mjNWARNING structs inside mjData).
        unsafe { field(self.raw(), off) }
    }

    /// Length of the full integration state ([`Simulation::save`]).
    pub fn state_len(&self) -> usize {
        self.model.state_size_of(layout::MJ_STATE_INTEGRATION)
    }

    /// The full integration state (`mjSTATE_INTEGRATION`: time, qpos, qvel, act, controls,
    /// applied forces, warm-start accelerations, ...), enough to continue bit-identically.
    pub fn save(&self) -> Vec<f64> {
        let mut s = vec![0.0; self.state_len()];
        // SAFETY: `s` has mj_stateSize(INTEGRATION) elements.
        unsafe {
            (self.model.api.get_state)(
                self.model.ptr.as_ptr(),
                self.data.as_ptr(),
                s.as_mut_ptr(),
                layout::MJ_STATE_INTEGRATION,
            )
        };
        s
    }

    /// Restores a state from [`Simulation::save`] and recomputes the derived quantities
    /// (`mj_forward`).
    pub fn restore(&mut self, state: &[f64]) -> Result<(), MujocoError> {
        let want = self.state_len();
        if state.len() != want {
            return Err(MujocoError::StateSize {
                got: state.len(),
                want,
            });
        }
        self.set_state_raw(state, layout::MJ_STATE_INTEGRATION);
        self.forward();
        Ok(())
    }

    fn set_state_raw(&mut self, state: &[f64], sig: c_int) {
        assert_eq!(state.len(), self.model.state_size_of(sig), "state size");
        // SAFETY: `state` has mj_stateSize(sig) elements (checked above).
        unsafe {
            (self.model.api.set_state)(
                self.model.ptr.as_ptr(),
                self.data.as_ptr(),
                state.as_ptr(),
                sig,
            )
        };
    }
}

impl Clone for Simulation {
    fn clone(&self) -> Simulation {
        let model = self.model.clone();
        // SAFETY: copying live data of a model with the same sizes into a new allocation.
        let p = unsafe {
            (model.api.copy_data)(std::ptr::null_mut(), model.ptr.as_ptr(), self.data.as_ptr())
        };
        let data = NonNull::new(p).expect("mj_copyData failed (out of memory)");
        Simulation { model, data }
    }
}

impl Drop for Simulation {
    fn drop(&mut self) {
        // SAFETY: this value owns the data; the model is dropped after it (field order).
        unsafe { (self.model.api.delete_data)(self.data.as_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_library_says_how_to_fetch_it() {
        let e = MujocoError::NotFound {
            searched: "/nowhere".into(),
        };
        let msg = e.to_string();
        assert!(msg.contains("scripts/fetch-data.sh mujoco"), "{msg}");
        assert!(msg.contains("GANGLION_MUJOCO"), "{msg}");
    }

    #[test]
    fn candidates_search_upward_for_data_mujoco() {
        if std::env::var_os("GANGLION_MUJOCO").is_some() {
            return;
        }
        let c = candidates();
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let want = manifest
            .ancestors()
            .nth(2)
            .expect("crates/<crate> has two ancestors")
            .join("data/mujoco")
            .join(LIBRARY_FILE);
        assert!(c.contains(&want), "{c:?} lacks {}", want.display());
        assert!(
            c.iter()
                .all(|p| p.ends_with(Path::new("data/mujoco").join(LIBRARY_FILE)))
        );
    }
}
