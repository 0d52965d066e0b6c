package io.finetune4j.runtime.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.duckdb.DuckDBDriver;

/**
 * Parquet and CSV rows as JSON objects, read in-process by DuckDB's JDBC driver ({@code org.duckdb:duckdb_jdbc}):
 * one jar with its native library, no Hadoop classes. Each row is {@code to_json} of the row struct, so
 * nested columns (a {@code messages} list of structs) arrive as JSON arrays and objects; {@link DatasetFiles}
 * drops null fields, so a column that is empty in a row counts as absent. CSV files need a header row; every CSV
 * value is read as text ({@code all_varchar}), as the Hub's {@code datasets} keeps strings unparsed.
 */
final class TabularRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TabularRows() {}

    static List<JsonNode> parquet(Path file) {
        return rows(file, "read_parquet('" + quoted(file) + "')");
    }

    static List<JsonNode> csv(Path file) {
        return rows(file, "read_csv('" + quoted(file) + "', header = true, all_varchar = true)");
    }

    private static String quoted(Path file) {
        return file.toAbsolutePath().toString().replace("'", "''");
    }

    private static List<JsonNode> rows(Path file, String table) {
        List<JsonNode> rows = new ArrayList<>();
        // The driver directly, not DriverManager: it must work whichever class loader calls.
        try (Connection connection = new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
                Statement statement = connection.createStatement()) {
            // File order: the row numbers in error messages must be the file's.
            statement.execute("SET preserve_insertion_order = true");
            try (ResultSet result = statement.executeQuery("SELECT to_json(t)::VARCHAR FROM " + table + " t")) {
                while (result.next()) {
                    rows.add(JSON.readTree(result.getString(1)));
                }
            }
        } catch (SQLException e) {
            throw new ConfigException(file + ": cannot read: " + firstLine(e.getMessage()), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": a row did not convert to JSON: " + e.getMessage(), e);
        }
        return rows;
    }

    private static String firstLine(String message) {
        String text = String.valueOf(message);
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
