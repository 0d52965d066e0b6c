package io.finetune4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.List;

/** Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_} with {@code norm_type=2}. */
final class GradientClipping {
    /** torch adds this to the norm before dividing. */
    static final double EPSILON = 1e-6;

    private GradientClipping() {}

    /**
     * The L2 norm of all gradients taken together: {@code √Σ‖g‖²}. Temporaries join the gradients'
     * manager, so pass gradients attached to a step scope.
     */
    static double globalNorm(List<NDArray> gradients) {
        if (gradients.isEmpty()) {
            return 0;
        }
        NDList norms = new NDList(gradients.size());
        for (NDArray gradient : gradients) {
            norms.add(gradient.norm()); // scalar: L2 over every element
        }
        double sumOfSquares = 0;
        for (float norm : NDArrays.stack(norms).toFloatArray()) {
            sumOfSquares += (double) norm * norm;
        }
        return Math.sqrt(sumOfSquares);
    }

    /** {@code min(1, maxNorm / (norm + 1e-6))}, or 1 when {@code maxNorm <= 0} (clipping off). */
    static double coefficient(double norm, double maxNorm) {
        if (maxNorm <= 0) {
            return 1.0;
        }
        return Math.min(1.0, maxNorm / (norm + EPSILON));
    }
}
