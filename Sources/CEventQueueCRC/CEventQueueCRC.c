// CRC-32C with the CPU's instructions, for the checksums of the durable log's records.
// The Swift side (EventQueue's CRC32C) falls back to its tables where this has no hardware.

#include "CEventQueueCRC.h"

#include <string.h>

#if defined(__x86_64__)

#include <cpuid.h>

#define CRC_HARDWARE 1
#define CRC_TARGET __attribute__((target("sse4.2")))

int eventqueue_crc32c_hardware(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

static inline CRC_TARGET uint32_t step8(uint32_t crc, uint64_t word) {
    return (uint32_t)__builtin_ia32_crc32di(crc, word);
}

static inline CRC_TARGET uint32_t step1(uint32_t crc, unsigned char byte) {
    return __builtin_ia32_crc32qi(crc, byte);
}

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)

#include <arm_acle.h>

#define CRC_HARDWARE 1
#define CRC_TARGET

int eventqueue_crc32c_hardware(void) { return 1; }

static inline uint32_t step8(uint32_t crc, uint64_t word) { return __crc32cd(crc, word); }

static inline uint32_t step1(uint32_t crc, unsigned char byte) { return __crc32cb(crc, byte); }

#else

#define CRC_HARDWARE 0

int eventqueue_crc32c_hardware(void) { return 0; }

#endif

#if CRC_HARDWARE

CRC_TARGET uint32_t eventqueue_crc32c_update(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = step8(crc, word);
        p += 8;
        count -= 8;
    }
    while (count > 0) {
        crc = step1(crc, *p);
        p += 1;
        count -= 1;
    }
    return crc;
}

#else

uint32_t eventqueue_crc32c_update(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}

#endif
