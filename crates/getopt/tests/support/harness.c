/*
 * Ground truth for the differential tests: runs glibc's getopt or getopt_long over an
 * argument vector and prints what the caller of the C function sees.
 *
 *   harness getopt|getopt_long OPTSTRING LONGOPTS PROG [ARG...]
 *
 * LONGOPTS is "name:has_arg:val,..." (empty for none; ignored by getopt). Output, one
 * line per call that did not return -1:
 *   opt RETURN OPTIND OPTOPT OPTARG
 * then "end OPTIND" and "argv ARG..." with the permuted arguments. OPTARG and ARG are
 * "x" followed by hex bytes, or "-" for NULL. glibc's own messages go to stderr.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LONGOPTS 64

static void print_word(const char *word)
{
	if (!word) {
		fputs("-", stdout);
		return;
	}
	putchar('x');
	for (; *word; word++)
		printf("%02x", (unsigned char)*word);
}

int main(int argc, char **argv)
{
	struct option longopts[MAX_LONGOPTS + 1];
	int nlong = 0;
	char *entry;

	if (argc < 5) {
		fprintf(stderr, "usage: harness getopt|getopt_long OPTSTRING LONGOPTS PROG [ARG...]\n");
		return 2;
	}
	for (entry = strtok(argv[3], ","); entry && nlong < MAX_LONGOPTS;
	     entry = strtok(NULL, ",")) {
		char *has_arg = strchr(entry, ':');
		char *val = has_arg ? strchr(has_arg + 1, ':') : NULL;

		if (!val)
			return 2;
		*has_arg++ = '\0';
		*val++ = '\0';
		longopts[nlong].name = entry;
		longopts[nlong].has_arg = atoi(has_arg);
		longopts[nlong].flag = NULL;
		longopts[nlong].val = atoi(val);
		nlong++;
	}
	memset(&longopts[nlong], 0, sizeof(longopts[nlong]));

	int use_long = !strcmp(argv[1], "getopt_long");
	const char *optstring = argv[2];
	int sub_argc = argc - 4;
	char **sub_argv = argv + 4;

	for (;;) {
		int c = use_long ?
			getopt_long(sub_argc, sub_argv, optstring, longopts, NULL) :
			getopt(sub_argc, sub_argv, optstring);
		if (c == -1)
			break;
		printf("opt %d %d %d ", c, optind, optopt);
		print_word(optarg);
		putchar('\n');
	}
	printf("end %d\nargv", optind);
	for (int i = 1; i < sub_argc; i++) {
		putchar(' ');
		print_word(sub_argv[i]);
	}
	putchar('\n');
	return 0;
}
