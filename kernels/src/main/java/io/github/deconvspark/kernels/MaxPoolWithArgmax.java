package io.github.deconvspark.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The two results of {@link Pool2D#maxPoolWithArgmax}: pooled values and int64 argmax (same NHWC shape). */
public record MaxPoolWithArgmax(INDArray output, INDArray argmax) {}
