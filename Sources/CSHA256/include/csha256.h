#ifndef CSHA256_H
#define CSHA256_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA-256 instructions (x86 SHA extensions with SSE4.1), else 0.
int csha256_available(void);

/// Compresses `blocks` 64-byte blocks at `data` into `state` (FIPS 180-4 order, a..h). Only call when
/// csha256_available() returned 1.
void csha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
