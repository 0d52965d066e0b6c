/*
 * mkl_shim.c: lets Intel MKL (linked into libtorch_cpu.so) take its fast code paths on AMD CPUs.
 *
 * MKL checks the CPU vendor and, on anything that is not Intel, falls back to slower generic kernels
 * (on the AMD EPYC machines we measured, fp32 matmul ran at about half speed). This is the well-known
 * workaround for that vendor check: MKL asks its internal functions mkl_serv_intel_cpu_true() and
 * mkl_serv_intel_cpu() whether the CPU is an Intel one. libtorch_cpu.so exports both symbols, so a
 * library preloaded with LD_PRELOAD that defines them interposes them, and MKL then picks its kernels
 * by the instruction sets the CPU reports (AVX2, AVX-512) as it does on Intel.
 *
 * The ft4j launcher builds this file itself (gcc -O2 -shared -fPIC, into
 * runner/target/native/libft4j_mkl_shim.so, rebuilt when this source is newer), and preloads it only on
 * Linux x86_64 when /proc/cpuinfo reports vendor_id AuthenticAMD. At start-up the runner multiplies two
 * fixed matrices through the engine and compares them with a plain Java result; it stops with an error
 * when they disagree. To turn the shim off, run with FT4J_MKL_SHIM=0 in the environment.
 * See bench/README.md ("MKL on AMD").
 */

int mkl_serv_intel_cpu_true(void) {
    return 1;
}

int mkl_serv_intel_cpu(void) {
    return 1;
}
