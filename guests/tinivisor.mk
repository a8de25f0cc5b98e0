# tinivisor.mk - the two tinivisor kernels, included by guests/Makefile. Its generic
# NAME.c + NAME.S rules build them; this adds what those rules cannot know: the
# header both share (for a first build; -MMD covers later ones) and a target for
# just these two: `make -C guests tinivisors`.
TINIVISORS := $(B)/tinivisor-vmx.elf $(B)/tinivisor-svm.elf

tinivisors: $(TINIVISORS)

$(B)/tinivisor-vmx.o $(B)/tinivisor-svm.o: tinivisor.h

.PHONY: tinivisors

# The scan guests (vmm scan, issue 12) share tinivisor.h through scan.h, and
# scan-vmx.S includes tinivisor-vmx.S.
$(B)/scan-vmx.o $(B)/scan-svm.o: scan.h tinivisor.h
$(B)/scan-vmx.S.o: tinivisor-vmx.S
