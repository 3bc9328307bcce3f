// The target's functions are inline in its header; SwiftPM needs one source file to build a C target.
#include "storefront_allocator.h"
