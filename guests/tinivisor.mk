# tinivisor.mk - the two tinivisor kernels, included by guests/Makefile. Its generic
# NAME.c + NAME.S rules build them; this adds what those rules cannot know: the
# header both share (for a first build; -MMD covers later ones) and a target for
# just these two: `make -C guests tinivisors`.
TINIVISORS := $(B)/tinivisor-vmx.elf $(B)/tinivisor-svm.elf

tinivisors: $(TINIVISORS)

$(B)/tinivisor-vmx.o $(B)/tinivisor-svm.o: tinivisor.h

.PHONY: tinivisors
