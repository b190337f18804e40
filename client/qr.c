/* qr.c: see qr.h. */
#include "qr.h"
#include "lderr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>

#define PNG_SCALE   8
#define PNG_MARGIN  4
#define TERM_MARGIN 2

static int encode(const char *text, QRcode **out)
{
	/* Level M: 15% of the code may be damaged (a worn paper certificate) and still read. */
	*out = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!*out)
		return errno == ERANGE || errno == EINVAL ? -E2BIG : -ENOMEM;
	return 0;
}

/* True if module (x, y) of Q is dark; outside the code (the quiet zone) is light. */
static int dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

int qr_print(FILE *out, const char *text)
{
	QRcode *q;
	int rc = encode(text, &q);
	if (rc)
		return rc;
	static const char *cells[4] = {" ", "\u2584", "\u2580", "\u2588"}; /* top, bottom */
	for (int y = -TERM_MARGIN; y < q->width + TERM_MARGIN; y += 2) {
		for (int x = -TERM_MARGIN; x < q->width + TERM_MARGIN; x++)
			fputs(cells[dark(q, x, y) << 1 | dark(q, x, y + 1)], out);
		fputc('\n', out);
	}
	QRcode_free(q);
	return 0;
}

int qr_write_png(const char *path, const char *text)
{
	QRcode *q;
	int rc = encode(text, &q);
	if (rc)
		return rc;
	int size = (q->width + 2 * PNG_MARGIN) * PNG_SCALE;
	png_bytep row = malloc((size_t)size);
	/* The token inside holds the full identity number: the owner alone may read the file. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && fchmod(fd, 0600) != 0) {
		close(fd);
		fd = -1;
	}
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!row || !f || !png || !info) {
		rc = f ? -ENOMEM : -errno;
		goto out;
	}
	if (setjmp(png_jmpbuf(png))) {
		rc = -EIO;
		goto out;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int py = 0; py < size; py++) {
		int y = py / PNG_SCALE - PNG_MARGIN;
		for (int px = 0; px < size; px++)
			row[px] = dark(q, px / PNG_SCALE - PNG_MARGIN, y) ? 0 : 255;
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	if (f && fclose(f) != 0 && rc == 0)
		rc = lderr_from_errno(errno);
	if (rc && f)
		remove(path);
	free(row);
	QRcode_free(q);
	return rc;
}
