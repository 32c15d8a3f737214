package io.github.deconvspark.oracle;

import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * TensorFlow's decode_jpeg of four-channel JPEGs, the reference for the jobs' CMYK conversion: writes three JPEGs
 * (Adobe-marked inverted CMYK, Adobe YCCK, plain CMYK without a marker), 64x64 from raw samples with ImageIO, and
 * for each TF's RGB ({@code DecodeJpeg}, channels 3, TF's defaults) as raw bytes: {@code NAME.jpg}, {@code NAME.rgb}
 * (height x width x 3) and {@code NAME.txt} ("height width").
 *
 * <pre>ImageReferenceGenerator --out DIR</pre>
 */
final class ImageReferenceGenerator {
  private ImageReferenceGenerator() {}

  static final int SIDE = 64;

  public static void main(String[] args) throws IOException {
    if (args.length != 2 || !args[0].equals("--out")) {
      System.err.println("usage: ImageReferenceGenerator --out DIR");
      System.exit(2);
    }
    Path out = Files.createDirectories(Path.of(args[1]));
    for (String name : new String[] {"cmyk-adobe", "ycck-adobe", "cmyk-plain"}) {
      byte[] jpg = fourChannelJpeg(name.startsWith("ycck"), name.endsWith("adobe"));
      int[] hw = new int[2];
      byte[] rgb = decodeJpeg(jpg, hw);
      Files.write(out.resolve(name + ".jpg"), jpg);
      Files.write(out.resolve(name + ".rgb"), rgb);
      Files.writeString(out.resolve(name + ".txt"), hw[0] + " " + hw[1] + "\n", StandardCharsets.UTF_8);
    }
    System.err.println("ImageReferenceGenerator: 3 four-channel JPEGs and TF's RGB in " + out);
  }

  /** TF's DecodeJpeg(contents, channels=3); {@code hw} receives height and width. */
  static byte[] decodeJpeg(byte[] jpg, int[] hw) {
    try (Graph g = new Graph(); Session s = new Session(g);
         TString contents = TString.tensorOfBytes(NdArrays.scalarOfObject(jpg))) {
      Output<?> c = g.opBuilder("Const", "contents", g.baseScope()).setAttr("dtype", DataType.DT_STRING)
          .setAttr("value", contents).build().output(0);
      Output<?> d = g.opBuilder("DecodeJpeg", "decode", g.baseScope()).addInput(c).setAttr("channels", 3L).build().output(0);
      try (Result r = s.runner().fetch(d).run()) {
        TUint8 t = (TUint8) r.get(0);
        int h = (int) t.shape().get(0), w = (int) t.shape().get(1);
        hw[0] = h;
        hw[1] = w;
        byte[] out = new byte[h * w * 3];
        for (int y = 0, k = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            for (int ch = 0; ch < 3; ch++) {
              out[k++] = t.getByte(y, x, ch);
            }
          }
        }
        return out;
      }
    }
  }

  /**
   * Raw four-band samples through ImageIO's JPEG writer (which gives them no colour meaning and writes no marker), and,
   * for Adobe files, an APP14 "Adobe" segment spliced in after SOI (transform 2: YCCK, else 0). Inks: cyan rising
   * down-right diagonally, magenta in bands, yellow by quadrant, black a ramp, stored inverted for Adobe files.
   */
  static byte[] fourChannelJpeg(boolean ycck, boolean adobe) throws IOException {
    WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, SIDE, SIDE, 4, null);
    int[] px = new int[4];
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        int c = (x + y) * 2, m = ((y / 8) % 2) * 180 + 20, ye = x < SIDE / 2 == y < SIDE / 2 ? 220 : 10, k = x * 3;
        int[] ink = {c, m, ye, k};
        for (int i = 0; i < 4; i++) {
          px[i] = adobe ? 255 - ink[i] : ink[i];
        }
        if (ycck) {
          double rr = 255 - px[0], gg = 255 - px[1], bb = 255 - px[2];
          px[0] = clamp(0.299 * rr + 0.587 * gg + 0.114 * bb);
          px[1] = clamp(-0.168736 * rr - 0.331264 * gg + 0.5 * bb + 128);
          px[2] = clamp(0.5 * rr - 0.418688 * gg - 0.081312 * bb + 128);
        }
        r.setPixel(x, y, px);
      }
    }
    ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam p = w.getDefaultWriteParam();
    p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    p.setCompressionQuality(0.97f);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ImageOutputStream o = ImageIO.createImageOutputStream(b)) {
      w.setOutput(o);
      w.write(null, new IIOImage(r, null, null), p);
    }
    w.dispose();
    byte[] jpg = b.toByteArray();
    if (!adobe) {
      return jpg;
    }
    byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) (ycck ? 2 : 0)};
    byte[] out = Arrays.copyOf(jpg, jpg.length + app14.length);
    System.arraycopy(app14, 0, out, 2, app14.length);
    System.arraycopy(jpg, 2, out, 2 + app14.length, jpg.length - 2);
    return out;
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
