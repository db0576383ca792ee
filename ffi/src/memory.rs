//! Handing the heap's freed memory back to the system.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    fn malloc_trim(pad: usize) -> std::ffi::c_int;
}

/// Give the pages the allocator holds free back to the system, so that memory freed by one
/// phase of a long job (a whole decoded soundtrack) is not still counted beside the next
/// (the encoders' frames). glibc keeps freed blocks of its per-thread arenas resident; this
/// asks it to release them. A no-op where the C library is not glibc.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointer and only walks glibc's own arenas, each under its
    // lock, so it is sound from any thread at any time; its result (whether anything was
    // released) needs no handling.
    unsafe {
        malloc_trim(0);
    }
}
