/*
 * floor: the least a TCP health check costs, for nannybench to compare
 * nanny with: Piranha's nanny loop in C with nothing else (no logging,
 * no table, no runtime): sleep to the next tick, connect with a
 * timeout, close. It takes nanny's command line and reads only -h, -r
 * and --check-interval (whole or fractional seconds).
 *
 *	cc -O2 -o floor floor.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	double interval = 1;
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "-h"))
			inet_aton(argv[++i], &sa.sin_addr);
		else if (!strcmp(argv[i], "-r"))
			sa.sin_port = htons(atoi(argv[++i]));
		else if (!strcmp(argv[i], "--check-interval"))
			interval = atof(argv[++i]);
	}
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno == EINPROGRESS) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};
				poll(&p, 1, (int)(interval * 1000));
			}
			close(fd);
		}
		long ns = next.tv_nsec + (long)(interval * 1e9);
		next.tv_sec += ns / 1000000000;
		next.tv_nsec = ns % 1000000000;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}
