/*
 * replay.c: a main for the fuzz harnesses when they are not built with libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each file named, so the corpus is a regression test in every
 * build (including ASan + UBSan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
		if (!copy)
			return 1;
		for (size_t k = 0; k < n; k++)
			copy[k] = buf[k];
		LLVMFuzzerTestOneInput(copy, n);
		free(copy);
	}
	printf("%d inputs replayed\n", argc - 1);
	return 0;
}
