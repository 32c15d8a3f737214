/**
 * Reverse-mode automatic differentiation over the TF-exact kernels, with TensorFlow's
 * {@code tf.gradients} contract (docs/SEMANTICS.md).
 *
 * <p>A {@link io.github.deconvspark.kernels.autodiff.Graph} records ops built with
 * {@link io.github.deconvspark.kernels.autodiff.Ops} (static shapes, TF 1 style) and runs them
 * with fed placeholders. {@link io.github.deconvspark.kernels.autodiff.Gradients#gradients}
 * adds the backward pass to the same graph; every backward rule is made of forward ops
 * (conv2d with conv2d_backprop_input/filter, max pool with unpooling by argmax, avg pool with
 * avg_pool_grad, ...), so gradients of gradients need nothing more.
 * {@link io.github.deconvspark.kernels.autodiff.GradientCheck} compares any gradient, of any
 * order, with central finite differences.
 *
 * <p>Choices where TF leaves room, each tested:
 * <ul>
 * <li>an x no y depends on gets {@code null} (TF's None), or zeros with Unconnected.ZERO;</li>
 * <li>max pooling routes gradients to the first maximum of each window (TF's argmax), and
 *     max unpooling adds values that share an argmax, so it is exactly max pooling's transpose;</li>
 * <li>reduce_max shares its gradient equally among tied maxima (TF's reduce_max gradient);</li>
 * <li>the ReLU mask [x &gt; 0] has derivative zero: the second derivative of relu is zeros,
 *     not None, as TF's ReluGrad gives;</li>
 * <li>softmax_cross_entropy_with_logits differentiates both labels and logits (TF 2's v2);</li>
 * <li>avg_unpool (undivided, the tutorial's) has sum_pool as its transpose; avg_pool_grad
 *     (divided) is avg_pool's.</li>
 * </ul>
 */
package io.github.deconvspark.kernels.autodiff;
