#ifndef CEVENTQUEUECRC_H
#define CEVENTQUEUECRC_H

#include <stddef.h>
#include <stdint.h>

/// Whether this CPU computes CRC-32C in hardware (SSE 4.2 on x86-64; the CRC extension on
/// AArch64 when the compiler targets it). Cheap to call; the answer never changes.
int eventqueue_crc32c_hardware(void);

/// Advances a CRC-32C register (reflected, polynomial 0x1EDC6F41, no pre- or post-inversion)
/// over `count` bytes with the CPU's CRC instructions.
/// Only call it when `eventqueue_crc32c_hardware()` returned non-zero.
uint32_t eventqueue_crc32c_update(uint32_t crc, const void *bytes, size_t count);

#endif
