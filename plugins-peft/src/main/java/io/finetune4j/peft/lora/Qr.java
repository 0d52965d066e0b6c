package io.finetune4j.peft.lora;

/**
 * Reduced QR decomposition in double precision by Householder reflections, with LAPACK's sign convention
 * ({@code dgeqrf}/{@code dlarfg}: {@code R[j][j] = -sign(a_jj)·‖a_j:‖}, and no reflection for a column whose
 * sub-diagonal is already zero, including the last column of a matrix with {@code rows <= cols}). That is the
 * factorisation {@code torch.linalg.qr(W)} (mode {@code reduced}) returns on the CPU, so OLoRA's factors have
 * the signs PEFT's have. DJL 0.36 exposes no QR.
 */
final class Qr {
    /**
     * @param q {@code [rows][k]} with orthonormal columns, {@code k = min(rows, cols)}
     * @param r {@code [k][cols]} upper triangular
     */
    record Result(double[][] q, double[][] r) {}

    private Qr() {}

    /** {@code a = q · r} for a row-major {@code [rows, cols]} matrix. */
    static Result decompose(double[] a, int rows, int cols) {
        int k = Math.min(rows, cols);
        double[][] work = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(a, i * cols, work[i], 0, cols);
        }
        double[][] vectors = new double[k][];
        double[] taus = new double[k];
        for (int j = 0; j < k; j++) {
            double alpha = work[j][j];
            double tailNorm = 0;
            for (int i = j + 1; i < rows; i++) {
                tailNorm = Math.hypot(tailNorm, work[i][j]);
            }
            if (tailNorm == 0) {
                continue; // dlarfg: tau = 0, H = I
            }
            double beta = -Math.copySign(Math.hypot(alpha, tailNorm), alpha);
            double[] v = new double[rows];
            v[j] = 1;
            for (int i = j + 1; i < rows; i++) {
                v[i] = work[i][j] / (alpha - beta);
            }
            double tau = (beta - alpha) / beta;
            vectors[j] = v;
            taus[j] = tau;
            // H = I - tau v vᵀ applied to the remaining columns
            for (int c = j; c < cols; c++) {
                double dot = 0;
                for (int i = j; i < rows; i++) {
                    dot += v[i] * work[i][c];
                }
                for (int i = j; i < rows; i++) {
                    work[i][c] -= tau * v[i] * dot;
                }
            }
            work[j][j] = beta;
            for (int i = j + 1; i < rows; i++) {
                work[i][j] = 0;
            }
        }
        double[][] r = new double[k][cols];
        for (int i = 0; i < k; i++) {
            for (int c = i; c < cols; c++) {
                r[i][c] = work[i][c];
            }
        }
        // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of the identity, last reflection first
        double[][] q = new double[rows][k];
        for (int i = 0; i < k; i++) {
            q[i][i] = 1;
        }
        for (int j = k - 1; j >= 0; j--) {
            if (vectors[j] == null) {
                continue;
            }
            double[] v = vectors[j];
            for (int c = 0; c < k; c++) {
                double dot = 0;
                for (int i = j; i < rows; i++) {
                    dot += v[i] * q[i][c];
                }
                for (int i = j; i < rows; i++) {
                    q[i][c] -= taus[j] * v[i] * dot;
                }
            }
        }
        return new Result(q, r);
    }
}
