#ifndef STOREFRONT_ALLOCATOR_H
#define STOREFRONT_ALLOCATOR_H

#include <stddef.h>

// glibc's allocator controls, which Swift's Glibc module leaves out (<malloc.h>). Elsewhere they do nothing
// and report nothing.

#ifdef __linux__
#include <malloc.h>
#endif

#ifdef __GLIBC__

/// Gives the pages of free chunks in every arena back to the kernel; 1 when any were given back.
static inline int storefront_allocator_release_free_pages(void) { return malloc_trim(0); }

/// Bytes the allocator has handed out and not had back.
static inline size_t storefront_allocator_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}
#else
static inline int storefront_allocator_release_free_pages(void) { return 0; }
static inline size_t storefront_allocator_in_use(void) { return 0; }
#endif

#endif
