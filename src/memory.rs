//! Memory the allocator holds after a phase, handed back to the OS.

/// Hands memory freed by the scan and the diagnosis back to the OS before the report runs,
/// and what one chunk of a report freed before the next (`report::summary`). glibc keeps freed memory in per-thread arenas, and the report's polars threads allocate in
/// arenas of their own, so without this the peak RSS of a report is the scan's peak plus the
/// report's (measured on the 2 GB tree with the benchmark snapshot, the table report: 160 MiB
/// against 180 MiB).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's own arenas to the OS; it
    // touches no live allocation and is thread-safe (it takes each arena's lock).
    unsafe {
        libc::malloc_trim(0);
    }
}
