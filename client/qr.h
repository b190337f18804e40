/*
 * qr.h: QR codes of certificate tokens, with libqrencode: as UTF-8 blocks for a terminal, or as a
 * PNG file (libpng) that a phone or `zbarimg` reads.
 */
#pragma once

#include <stdio.h>

/*
 * Print TEXT as a QR code of UTF-8 half blocks to OUT (two module rows per text line, dark modules
 * as dark cells, a quiet zone of 2 modules). Returns 0, -E2BIG if TEXT is too long for a QR
 * code, or -ENOMEM.
 */
int qr_print(FILE *out, const char *text);

/*
 * Write TEXT as a QR code PNG at PATH (8 pixels per module, quiet zone 4 modules, 8-bit grey),
 * mode 0600 (a file already there is replaced and made 0600): the token holds the full identity
 * number. Returns 0, -E2BIG, -ENOMEM, -EIO, or -errno if PATH cannot be written.
 */
int qr_write_png(const char *path, const char *text);
