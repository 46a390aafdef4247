// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsiommufd - list the processes that hold /dev/iommu files, and what
 * each file holds: IO address spaces, page tables, devices, and how much
 * memory they keep mapped and pinned.
 *
 * Everything comes from /proc/PID/fdinfo/FD, where the kernel describes
 * an iommufd file's objects (see Documentation/userspace-api/iommufd.rst,
 * "Introspection"). A file is recognised by its fdinfo, not by its path,
 * so a /dev/vfio/vfio that is an iommufd (IOMMUFD_VFIO_CONTAINER) shows
 * up too. Processes whose fdinfo the caller may not read (another user's,
 * unless root) are left out, as /proc decides.
 *
 *   lsiommufd [-p PID] [-o] [--json]
 *
 * No dependencies beyond libc.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One object line of an fdinfo: "TYPE:\tid=ID key=value ..." */
struct object {
	char type[32];
	char *pairs;		/* "id=ID key=value ...", allocated */
};

/* One iommufd file of a process */
struct ifile {
	int pid;
	char comm[64];
	int fd;
	char charge_mode[32];
	bool truncated;
	struct object *objs;
	unsigned int nr_objs;
	unsigned long long mapped;	/* bytes, summed over the IOASes */
	unsigned long long pinned;	/* pages, IOASes plus accesses */
	unsigned int nr_ioas;
};

static long page_size;

/* The value of @key in "k=v k=v" @pairs, copied to @val; false if none */
static bool pair_value(const char *pairs, const char *key, char *val,
		       size_t size)
{
	size_t klen = strlen(key);
	const char *p = pairs;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " ");

			if (n >= size)
				n = size - 1;
			memcpy(val, p + klen + 1, n);
			val[n] = 0;
			return true;
		}
		p = strchr(p, ' ');
	}
	return false;
}

static unsigned long long pair_num(const char *pairs, const char *key)
{
	char val[32];

	if (!pair_value(pairs, key, val, sizeof(val)))
		return 0;
	return strtoull(val, NULL, 10);
}

/*
 * Read /proc/@pid/fdinfo/@fd into @f when it is an iommufd file.
 * Returns 1 when it is one, 0 when not (or it cannot be read).
 */
static int read_ifile(int pid, int fd, struct ifile *f)
{
	char path[64], line[4096];
	bool is_iommufd = false;
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	in = fopen(path, "re");
	if (!in)
		return 0;
	memset(f, 0, sizeof(*f));
	f->pid = pid;
	f->fd = fd;
	while (fgets(line, sizeof(line), in)) {
		char *tab = strchr(line, '\t');
		struct object *o;

		line[strcspn(line, "\n")] = 0;
		if (!tab || tab == line || tab[-1] != ':')
			continue;
		tab[-1] = 0;
		tab++;
		if (!strcmp(line, "iommufd")) {
			is_iommufd = true;
			pair_value(tab, "charge-mode", f->charge_mode,
				   sizeof(f->charge_mode));
			continue;
		}
		if (!is_iommufd)
			continue;
		if (!strcmp(line, "truncated")) {
			f->truncated = true;
			continue;
		}
		if (strncmp(tab, "id=", 3))
			continue;
		o = realloc(f->objs, (f->nr_objs + 1) * sizeof(*o));
		if (!o)
			break;
		f->objs = o;
		o = &f->objs[f->nr_objs++];
		snprintf(o->type, sizeof(o->type), "%.31s", line);
		o->pairs = strdup(tab);
		if (!strcmp(o->type, "ioas")) {
			f->nr_ioas++;
			f->mapped += pair_num(tab, "mapped");
			f->pinned += pair_num(tab, "pinned");
		} else if (!strcmp(o->type, "access")) {
			f->pinned += pair_num(tab, "pinned");
		}
	}
	fclose(in);
	if (!is_iommufd) {
		free(f->objs);
		return 0;
	}
	return 1;
}

static void free_ifile(struct ifile *f)
{
	unsigned int i;

	for (i = 0; i != f->nr_objs; i++)
		free(f->objs[i].pairs);
	free(f->objs);
}

static void read_comm(int pid, char *comm, size_t size)
{
	char path[64];
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	comm[0] = 0;
	in = fopen(path, "re");
	if (!in)
		return;
	if (fgets(comm, size, in))
		comm[strcspn(comm, "\n")] = 0;
	fclose(in);
}

/* "128.0M" and the like, for the table */
static const char *human(unsigned long long bytes, char *buf, size_t size)
{
	static const char units[] = "BKMGTP";
	double v = bytes;
	int u = 0;

	while (v >= 1024 && units[u + 1]) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, size, "%.1f%c", v, units[u]);
	else
		snprintf(buf, size, "%llu", bytes);
	return buf;
}

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i != n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n && n < 20;
}

/*
 * The name of the next device object of @f from index *@i on, in @dev;
 * *@i is left past it. False when there is none.
 */
static bool next_device(const struct ifile *f, unsigned int *i, char *dev,
			size_t size)
{
	for (; *i != f->nr_objs; (*i)++)
		if (!strcmp(f->objs[*i].type, "device") &&
		    pair_value(f->objs[*i].pairs, "dev", dev, size)) {
			(*i)++;
			return true;
		}
	return false;
}

/* The devices of @f, comma-separated, or "-" */
static void devices_of(const struct ifile *f, char *buf, size_t size)
{
	unsigned int i = 0;
	size_t len = 0;
	char dev[256];

	buf[0] = 0;
	while (next_device(f, &i, dev, sizeof(dev)))
		len += snprintf(buf + len, size > len ? size - len : 0, "%s%s",
				len ? "," : "", dev);
	if (!len)
		snprintf(buf, size, "-");
}

static void print_json_object(const struct object *o)
{
	const char *p = o->pairs;

	printf("{\"type\": ");
	print_json_string(o->type);
	while (*p) {
		const char *eq, *end;

		while (*p == ' ')
			p++;
		end = p + strcspn(p, " ");
		eq = memchr(p, '=', end - p);
		if (eq) {
			char key[64], val[1024];

			snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
			snprintf(val, sizeof(val), "%.*s",
				 (int)(end - eq - 1), eq + 1);
			printf(", ");
			print_json_string(key);
			printf(": ");
			if (all_digits(val, strlen(val)))
				printf("%s", val);
			else
				print_json_string(val);
		}
		p = end;
	}
	printf("}");
}

static void print_json(const struct ifile *f, bool first)
{
	unsigned int i;
	char dev[256];

	printf("%s\n  {\"pid\": %d, \"command\": ", first ? "" : ",", f->pid);
	print_json_string(f->comm);
	printf(", \"fd\": %d, \"charge_mode\": ", f->fd);
	print_json_string(f->charge_mode);
	printf(", \"truncated\": %s, \"ioas\": %u",
	       f->truncated ? "true" : "false", f->nr_ioas);
	printf(", \"mapped_bytes\": %llu, \"pinned_bytes\": %llu, \"devices\": [",
	       f->mapped, f->pinned * page_size);
	for (i = 0, first = true; next_device(f, &i, dev, sizeof(dev));
	     first = false) {
		printf("%s", first ? "" : ", ");
		print_json_string(dev);
	}
	printf("],\n   \"objects\": [");
	for (i = 0; i != f->nr_objs; i++) {
		printf("%s\n    ", i ? "," : "");
		print_json_object(&f->objs[i]);
	}
	printf("]}");
}

static void print_row(const struct ifile *f, bool objects)
{
	char mapped[32], pinned[32], devs[1024];
	unsigned int i;

	devices_of(f, devs, sizeof(devs));
	printf("%-7d %-16s %4d %7u%s %4u %8s %8s  %s\n", f->pid, f->comm,
	       f->fd, f->nr_objs, f->truncated ? "+" : " ", f->nr_ioas,
	       human(f->mapped, mapped, sizeof(mapped)),
	       human(f->pinned * page_size, pinned, sizeof(pinned)), devs);
	if (!objects)
		return;
	for (i = 0; i != f->nr_objs; i++)
		printf("        %s %s\n", f->objs[i].type, f->objs[i].pairs);
	if (f->truncated)
		printf("        (more objects than the kernel lists)\n");
}

/* Print every iommufd file of process @pid, counting them in *@printed */
static void scan_pid(int pid, bool json, bool objects, int *printed)
{
	char path[64], target[PATH_MAX];
	struct dirent *d;
	struct ifile f;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char link[PATH_MAX];
		ssize_t len;
		int fd;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		fd = atoi(d->d_name);
		snprintf(link, sizeof(link), "%s/%s", path, d->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		/* Only character devices can be iommufd files. */
		if (strncmp(target, "/dev/", 5))
			continue;
		if (!read_ifile(pid, fd, &f))
			continue;
		read_comm(pid, f.comm, sizeof(f.comm));
		if (json)
			print_json(&f, *printed == 0);
		else
			print_row(&f, objects);
		free_ifile(&f);
		(*printed)++;
	}
	closedir(dir);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: lsiommufd [-p PID] [-o] [--json]\n"
		"List processes holding /dev/iommu files and what the files hold.\n"
		"  -p, --pid PID   only this process\n"
		"  -o, --objects   also list every object of each file\n"
		"  -j, --json      JSON: an array with one entry per file\n"
		"  -h, --help      this text\n"
		"MAPPED sums the IOASes' mappings; PINNED the pages their areas\n"
		"and accesses keep pinned (a page mapped twice counts twice).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "objects", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool json = false, objects = false;
	int only_pid = 0, printed = 0, c;
	struct dirent *d;
	DIR *proc;

	while ((c = getopt_long(argc, argv, "p:ojh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			only_pid = atoi(optarg);
			if (only_pid <= 0) {
				fprintf(stderr, "lsiommufd: bad PID %s\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			objects = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	page_size = sysconf(_SC_PAGESIZE);

	if (json)
		printf("[");
	else
		printf("%-7s %-16s %4s %8s %4s %8s %8s  %s\n", "PID", "COMMAND",
		       "FD", "OBJECTS", "IOAS", "MAPPED", "PINNED", "DEVICES");
	if (only_pid) {
		scan_pid(only_pid, json, objects, &printed);
	} else {
		proc = opendir("/proc");
		if (!proc) {
			perror("lsiommufd: /proc");
			return 1;
		}
		while ((d = readdir(proc)))
			if (isdigit((unsigned char)d->d_name[0]))
				scan_pid(atoi(d->d_name), json, objects,
					 &printed);
		closedir(proc);
	}
	if (json)
		printf("%s]\n", printed ? "\n" : "");
	return 0;
}
