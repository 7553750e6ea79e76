#!/usr/bin/perl -i
# zeroshot-clip patch 0001: gotch v0.9.1 gives every op's output slot C.malloc(0) and never
# frees it (about 32 B of C heap lost per op call, gotch #102/#115/#132), and ops with 4 or
# more outputs write past that 0-byte allocation. This rewrites each such slot into a
# zeroed 16-pointer buffer freed when the function returns. The slots only carry the
# C++ tensor handles out; newTensor copies the handle before the function returns.
#
# Applied in place (perl -i) to ts/*.go of the generated copy. A unified diff would be
# ~10,000 lines for 2,459 mechanical sites, so the patch is this rule instead.
use strict;
use warnings;

my $pending;   # defer line waiting to be emitted, unless the next line already frees
while (my $line = <>) {
    if (defined $pending) {
        print $pending unless $line =~ /C\.free\(/;
        undef $pending;
    }
    if ($line =~ /^(\s*)(\w+) := \(\*lib\.Ctensor\)\(unsafe\.Pointer\(C\.malloc\(0\)\)\)\s*$/) {
        my ($ind, $var) = ($1, $2);
        $line = "${ind}${var} := (*lib.Ctensor)(unsafe.Pointer(C.calloc(16, C.size_t(unsafe.Sizeof(uintptr(0))))))\n";
        $pending = "${ind}defer C.free(unsafe.Pointer(${var}))\n";
    }
    print $line;
}
print $pending if defined $pending;
