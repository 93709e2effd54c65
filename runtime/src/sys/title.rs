//! Process titles: what `ps` (and `/proc/PID/cmdline`) shows for the
//! master, each worker and the drainer, as Dovecot and nginx do it.
//!
//! `prctl(PR_SET_NAME)` changes only the 15-byte `comm`, not the command
//! line `ps` prints, and `PR_SET_MM_ARG_START` needs `CAP_SYS_RESOURCE`.
//! So the title is written over the process's own argument strings, and
//! when the environment strings follow them (as the kernel lays them
//! out), over those too, after the environment has been copied elsewhere
//! (`environ` re-pointed). Linux then reports the title as the command
//! line: when the byte at the end of the arguments is no longer a NUL, it
//! reads on into the environment area up to the first NUL.
//!
//! [`init`] runs once in the single-threaded master before any fork;
//! forked children inherit the area and set their own titles.

use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The writable area: start address and length.
#[derive(Debug, Clone, Copy)]
struct Area {
    start: usize,
    len: usize,
}

static AREA: OnceLock<Option<Area>> = OnceLock::new();
/// Bytes of the area that may be non-NUL (cleared by the next title).
static DIRTY: AtomicUsize = AtomicUsize::new(0);

extern "C" {
    static mut environ: *mut *mut c_char;
}

/// `arg_start arg_end env_start env_end` from `/proc/self/stat` (fields
/// 48 to 51).
fn layout() -> Option<[usize; 4]> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold blanks); the first is
    // field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let get = |n: usize| f.get(n - 3)?.parse::<usize>().ok();
    Some([get(48)?, get(49)?, get(50)?, get(51)?])
}

/// Finds the area and moves the environment out of it. Call once, from
/// the master while it is the only thread, before any fork; later calls
/// do nothing.
pub fn init() {
    AREA.get_or_init(|| {
        let [arg_start, arg_end, env_start, env_end] = layout()?;
        if arg_start == 0 || arg_end <= arg_start {
            return None;
        }
        let end = if env_start == arg_end && env_end > env_start && relocate_environ() {
            env_end
        } else {
            arg_end
        };
        DIRTY.store(end - arg_start, Ordering::Relaxed);
        Some(Area {
            start: arg_start,
            len: end - arg_start,
        })
    });
}

/// Copies every environment string to the heap and points `environ` at
/// the copies, so the original strings can be overwritten. False when
/// there is no environment to move.
fn relocate_environ() -> bool {
    let mut copies: Vec<*mut c_char> = Vec::new();
    // SAFETY: the process is single-threaded (checked by `run` before
    // `init`), so nothing reads or changes `environ` meanwhile; `environ`
    // is the C library's NULL-terminated array of NUL-terminated strings.
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return false;
        }
        while !(*p).is_null() {
            let owned: CString = CStr::from_ptr(*p).into();
            copies.push(owned.into_raw());
            p = p.add(1);
        }
    }
    copies.push(std::ptr::null_mut());
    // Leaked on purpose: `environ` refers to them for the process's life.
    let array: &'static mut [*mut c_char] = Box::leak(copies.into_boxed_slice());
    // SAFETY: as above, single-threaded; the new array and its strings are
    // leaked, so they stay valid for the rest of the process.
    unsafe {
        environ = array.as_mut_ptr();
    }
    true
}

/// Shows the concatenation of `parts` as the process's command line (cut
/// to the area's size; nothing before [`init`] or when the area could not
/// be found), without building it first: a worker forked for
/// one connection sets its title with no allocation and no formatting
/// code (each costs it page faults).
pub fn set(parts: &[&str]) {
    let Some(Some(area)) = AREA.get().copied() else {
        return;
    };
    // Keep one NUL at the end of the area.
    let room = area.len - 1;
    let dirty = DIRTY.load(Ordering::Relaxed).min(area.len);
    let mut n = 0;
    for part in parts {
        let bytes = &part.as_bytes()[..part.len().min(room - n)];
        // SAFETY: [start, start + len) is this process's own argument (and
        // moved-out environment) strings, mapped and writable for the life
        // of the process; `n + bytes.len() <= room < len`. After `init`
        // nothing refers to the environment part, and the argument strings
        // stay NUL-terminated C strings (the area ends with a NUL), so a
        // later read of argv sees valid strings. Titles are set by the
        // process's only thread.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                (area.start as *mut u8).add(n),
                bytes.len(),
            );
        }
        n += bytes.len();
    }
    if dirty > n {
        // SAFETY: as above; [start + n, start + dirty) lies in the area.
        unsafe { std::ptr::write_bytes((area.start as *mut u8).add(n), 0, dirty - n) };
    }
    DIRTY.store(n, Ordering::Relaxed);
}
