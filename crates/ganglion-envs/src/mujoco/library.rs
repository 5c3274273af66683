//! Finding, opening and resolving `libmujoco` at run time: the C functions Ganglion calls, the
//! opaque C structs, and the search path.

use super::*;

/// Opaque `mjModel`.
#[repr(C)]
pub(super) struct MjModel {
    _private: [u8; 0],
}

/// Opaque `mjData`.
#[repr(C)]
pub(super) struct MjData {
    _private: [u8; 0],
}

/// Opaque `mjSpec`.
#[repr(C)]
pub(super) struct MjSpec {
    _private: [u8; 0],
}

pub(super) type Mdfn = unsafe extern "C" fn(*const MjModel, *mut MjData);

/// The C functions used, resolved once.
pub(super) struct Api {
    // Keeps the library mapped for the process's lifetime (the function pointers point into it).
    _lib: Library,
    pub(super) path: PathBuf,
    pub(super) version: String,
    pub(super) parse_xml_string:
        unsafe extern "C" fn(*const c_char, *const c_void, *mut c_char, c_int) -> *mut MjSpec,
    pub(super) compile: unsafe extern "C" fn(*mut MjSpec, *const c_void) -> *mut MjModel,
    pub(super) spec_error: unsafe extern "C" fn(*mut MjSpec) -> *const c_char,
    pub(super) delete_spec: unsafe extern "C" fn(*mut MjSpec),
    pub(super) copy_model: unsafe extern "C" fn(*mut MjModel, *const MjModel) -> *mut MjModel,
    pub(super) delete_model: unsafe extern "C" fn(*mut MjModel),
    pub(super) make_data: unsafe extern "C" fn(*const MjModel) -> *mut MjData,
    pub(super) copy_data:
        unsafe extern "C" fn(*mut MjData, *const MjModel, *const MjData) -> *mut MjData,
    pub(super) delete_data: unsafe extern "C" fn(*mut MjData),
    pub(super) reset_data: Mdfn,
    pub(super) step: Mdfn,
    pub(super) step1: Mdfn,
    pub(super) step2: Mdfn,
    pub(super) forward: Mdfn,
    pub(super) state_size: unsafe extern "C" fn(*const MjModel, c_int) -> c_int,
    pub(super) get_state: unsafe extern "C" fn(*const MjModel, *const MjData, *mut f64, c_int),
    pub(super) set_state: unsafe extern "C" fn(*const MjModel, *mut MjData, *const f64, c_int),
    pub(super) name2id: unsafe extern "C" fn(*const MjModel, c_int, *const c_char) -> c_int,
}

static API: OnceLock<Result<Api, MujocoError>> = OnceLock::new();

/// Where the library is looked for, in order (see the module docs).
pub fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("GANGLION_MUJOCO") {
        out.push(PathBuf::from(p));
        return out;
    }
    let rel = Path::new("data").join("mujoco").join(LIBRARY_FILE);
    let mut roots = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR"))];
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        roots.push(dir);
    }
    for root in roots {
        for dir in root.ancestors() {
            let p = dir.join(&rel);
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Loads MuJoCo (once per process) and returns its path and version string (`"4.0.0"`).
/// [`MujocoError::NotFound`] when the library is absent: callers that can do without it
/// (tests) skip on that variant only.
pub fn load() -> Result<(PathBuf, String), MujocoError> {
    api().map(|a| (a.path.clone(), a.version.clone()))
}

/// Whether MuJoCo can be used here: `Ok(true)` when it loads, `Ok(false)` when the library is
/// not fetched ([`MujocoError::NotFound`]: tests and benchmarks skip on this only), and any
/// other failure (a wrong version, a broken file) as the error.
pub fn available() -> Result<bool, MujocoError> {
    match api() {
        Ok(_) => Ok(true),
        Err(MujocoError::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

pub(super) fn api() -> Result<&'static Api, MujocoError> {
    API.get_or_init(open).as_ref().map_err(Clone::clone)
}

pub(super) fn open() -> Result<Api, MujocoError> {
    let tried = candidates();
    let path = match tried.iter().find(|p| p.is_file()) {
        Some(p) => p.clone(),
        None => {
            let searched = match std::env::var_os("GANGLION_MUJOCO") {
                Some(p) => format!("GANGLION_MUJOCO={}", Path::new(&p).display()),
                None => tried
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            return Err(MujocoError::NotFound { searched });
        }
    };
    let fail = |reason: String| MujocoError::Load {
        path: path.clone(),
        reason,
    };
    // SAFETY: loading runs the library's initialisers; libmujoco's only depend on libc/libm and
    // register nothing global beyond its own state.
    let lib = unsafe { Library::new(&path) }.map_err(|e| fail(e.to_string()))?;
    macro_rules! sym {
        ($name:literal) => {
            symbol(&lib, $name).map_err(fail)?
        };
    }
    let version_fn: unsafe extern "C" fn() -> c_int = sym!("mj_version");
    let version_string: unsafe extern "C" fn() -> *const c_char = sym!("mj_versionString");
    // SAFETY: both take no arguments; the string is static and NUL-terminated.
    let (number, version) = unsafe {
        (
            version_fn(),
            CStr::from_ptr(version_string())
                .to_string_lossy()
                .into_owned(),
        )
    };
    // The offsets are for exactly the 4.0.0 headers, and most are not checked at run time.
    if number != layout::VERSION {
        return Err(fail(format!(
            "it is MuJoCo {version} (mj_version {number}), but the struct offsets here are for \
             4.0.0 (scripts/fetch-data.sh mujoco fetches that version)"
        )));
    }
    // Warnings go to stderr instead of MuJoCo's default (stdout and a MUJOCO_LOG.TXT file in
    // the current folder), so that `--json` output stays clean and no files appear.
    {
        // SAFETY: `mju_user_warning` is a global `void (*)(const char*)` in libmujoco; it is
        // written once here, before any model exists, so no MuJoCo call can read it meanwhile.
        let hook: libloading::Symbol<*mut Option<unsafe extern "C" fn(*const c_char)>> =
            unsafe { lib.get(b"mju_user_warning\0") }
                .map_err(|e| fail(format!("missing symbol mju_user_warning: {e}")))?;
        unsafe { **hook = Some(warning_to_stderr) };
    }
    Ok(Api {
        parse_xml_string: sym!("mj_parseXMLString"),
        compile: sym!("mj_compile"),
        spec_error: sym!("mjs_getError"),
        delete_spec: sym!("mj_deleteSpec"),
        copy_model: sym!("mj_copyModel"),
        delete_model: sym!("mj_deleteModel"),
        make_data: sym!("mj_makeData"),
        copy_data: sym!("mj_copyData"),
        delete_data: sym!("mj_deleteData"),
        reset_data: sym!("mj_resetData"),
        step: sym!("mj_step"),
        step1: sym!("mj_step1"),
        step2: sym!("mj_step2"),
        forward: sym!("mj_forward"),
        state_size: sym!("mj_stateSize"),
        get_state: sym!("mj_getState"),
        set_state: sym!("mj_setState"),
        name2id: sym!("mj_name2id"),
        _lib: lib,
        path,
        version,
    })
}

/// The function `name` of `lib`, typed as the caller's binding says.
pub(super) fn symbol<T: Copy>(lib: &Library, name: &str) -> Result<T, String> {
    let c = CString::new(name).map_err(|e| e.to_string())?;
    // SAFETY: every caller binds the symbol to the function-pointer type declared for it in
    // the 4.0.0 headers (mujoco.h), written out in the field of `Api` it initialises.
    let s: libloading::Symbol<T> = unsafe { lib.get(c.as_bytes_with_nul()) }
        .map_err(|e| format!("missing symbol {name}: {e}"))?;
    Ok(*s)
}

extern "C" fn warning_to_stderr(msg: *const c_char) {
    if msg.is_null() {
        return;
    }
    // SAFETY: MuJoCo passes a NUL-terminated message that lives for the call.
    let text = unsafe { CStr::from_ptr(msg) }.to_string_lossy();
    // Not eprintln!: a panic here (stderr closed) would unwind into C and abort.
    let _ = writeln!(std::io::stderr(), "MuJoCo warning: {text}");
}
