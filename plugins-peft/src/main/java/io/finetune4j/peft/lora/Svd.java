package io.finetune4j.peft.lora;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Thin singular value decomposition in double precision by one-sided Jacobi rotations (Hestenes, 1958;
 * Demmel and Veselić, 1992): the columns of the matrix are rotated pairwise until orthogonal, which gives
 * the singular values to full relative accuracy. DJL 0.36 exposes no SVD, and PiSSA needs one only once per
 * adapted layer at initialisation. Cost is {@code O(rows · cols²)} per sweep, a few sweeps in practice.
 */
final class Svd {
    private static final double TOLERANCE = 1e-15;
    private static final int MAX_SWEEPS = 100;

    /**
     * @param u {@code [rows][k]} left singular vectors as columns {@code u[i][j]}
     * @param s {@code [k]} singular values, descending
     * @param v {@code [cols][k]} right singular vectors as columns {@code v[i][j]}
     */
    record Result(double[][] u, double[] s, double[][] v) {}

    private Svd() {}

    /** {@code a = u · diag(s) · vᵀ} for a row-major {@code [rows, cols]} matrix, {@code k = min(rows, cols)}. */
    static Result decompose(double[] a, int rows, int cols) {
        if (rows < cols) {
            Result transposed = decompose(transpose(a, rows, cols), cols, rows);
            return new Result(transposed.v(), transposed.s(), transposed.u());
        }
        // Column-major copy: rotations touch two whole columns at a time.
        double[][] columns = new double[cols][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                columns[j][i] = a[i * cols + j];
            }
        }
        double[][] right = new double[cols][cols];
        for (int j = 0; j < cols; j++) {
            right[j][j] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < cols - 1; p++) {
                for (int q = p + 1; q < cols; q++) {
                    double alpha = dot(columns[p], columns[p]);
                    double beta = dot(columns[q], columns[q]);
                    double gamma = dot(columns[p], columns[q]);
                    if (alpha == 0 || beta == 0 || Math.abs(gamma) <= TOLERANCE * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    rotated = true;
                    // The rotation that zeroes the (p, q) entry of the Gram matrix.
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    if (zeta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    rotate(columns[p], columns[q], c, s);
                    rotate(right[p], right[q], c, s);
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] sigma = new double[cols];
        for (int j = 0; j < cols; j++) {
            sigma[j] = Math.sqrt(dot(columns[j], columns[j]));
        }
        Integer[] order = IntStream.range(0, cols).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(j -> -sigma[j]));
        double[][] u = new double[rows][cols];
        double[][] v = new double[cols][cols];
        double[] s = new double[cols];
        for (int k = 0; k < cols; k++) {
            int j = order[k];
            s[k] = sigma[j];
            for (int i = 0; i < rows; i++) {
                u[i][k] = sigma[j] == 0 ? 0 : columns[j][i] / sigma[j];
            }
            for (int i = 0; i < cols; i++) {
                v[i][k] = right[j][i];
            }
        }
        return new Result(u, s, v);
    }

    private static void rotate(double[] p, double[] q, double c, double s) {
        for (int i = 0; i < p.length; i++) {
            double x = p[i];
            double y = q[i];
            p[i] = c * x - s * y;
            q[i] = s * x + c * y;
        }
    }

    private static double dot(double[] x, double[] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += x[i] * y[i];
        }
        return sum;
    }

    private static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }
}
