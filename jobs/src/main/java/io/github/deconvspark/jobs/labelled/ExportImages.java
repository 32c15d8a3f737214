package io.github.deconvspark.jobs.labelled;

import io.github.deconvspark.jobs.frame.JobConfig;
import io.github.deconvspark.jobs.frame.Storage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;

/**
 * Writes the first N images of an IDX data set as PNG files in class folders,
 * {@code OUTPUT/<label>/<index>.png}: images to visualize a trained model on, or an image-folder
 * data set. Runs in this process (no Spark).
 */
public final class ExportImages {
    private ExportImages() {}

    public static final List<JobConfig.Key> KEYS = List.of(
            new JobConfig.Key("data", "", "a folder of IDX files (MNIST, Fashion-MNIST); any Hadoop URI"),
            JobConfig.Key.choice("split", "test", LabelledData.SPLITS, "train or test"),
            JobConfig.Key.integer("limit", 100, 1, 10_000_000, "how many images (the first ones)"),
            new JobConfig.Key("output", "", "where the class folders go"));

    public static int main(String[] args) {
        if (JobConfig.wantsHelp(args)) {
            System.out.print(JobConfig.help("export-images", KEYS));
            return 0;
        }
        JobConfig cfg = JobConfig.parse("export-images", KEYS, args);
        cfg.require("data", "output");
        try {
            Configuration conf = new Configuration();
            String out = Storage.qualify(cfg.get("output"), conf);
            int n = export(Storage.qualify(cfg.get("data"), conf), cfg.choice("split"), cfg.getInt("limit"), out, conf);
            System.out.println("export-images: " + n + " images in " + out);
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Exports the first {@code limit} images of an IDX data set with 28x28-style grayscale records; returns how many. */
    public static int export(String data, String split, int limit, String output, Configuration conf) throws IOException {
        // any image size (probe): the records are exported as they are
        LabelledData.Source s = LabelledData.resolve(data, split, 1, limit, new int[] {-1, -1, 1}, 256, conf, true);
        if (!s.kind().equals("idx")) throw new JobConfig.ConfigException("export-images: " + data + " is not a folder of IDX files");
        int[] dims = s.imageShape();
        int[] input = {dims[0], dims[1], 1};
        int n = 0;
        Iterator<LabelledData.Block> it = LabelledData.read(s.shards().get(0), 1024, input, 256, conf);
        while (it.hasNext()) {
            LabelledData.Block b = it.next();
            int per = dims[0] * dims[1];
            for (int i = 0; i < b.size(); i++) {
                BufferedImage img = new BufferedImage(dims[1], dims[0], BufferedImage.TYPE_BYTE_GRAY);
                byte[] px = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
                for (int j = 0; j < per; j++) px[j] = (byte) Math.round(b.x()[i * per + j] * 255f);
                ByteArrayOutputStream png = new ByteArrayOutputStream();
                ImageIO.write(img, "png", png);
                Storage.write(output + "/" + b.y()[i] + "/" + String.format("%05d.png", b.index()[i]), png.toByteArray(), conf);
                n++;
            }
        }
        return n;
    }
}
