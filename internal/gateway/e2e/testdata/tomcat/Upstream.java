// The servlet-container upstream of the gateway's end-to-end tests
// (upstreams_test.go): an embedded Tomcat 10.1 from Debian's
// libtomcat10-embed-java, with servlets mapped to /admin/*, /orders/*,
// /public/* and / (the default servlet). Tomcat removes ";" path
// parameters from every segment and normalises the path before it picks
// a mapping, as every servlet container must; each servlet answers which
// mapping ran and the path Tomcat saw, so that a test can tell what the
// application executed, not what the gateway meant to allow.
//
// Usage: java -cp CLASSES:tomcat10-embed-core.jar Upstream BASE_DIR PORT
// (PORT 0 picks a free one). It listens on 127.0.0.1 and prints
// "listening PORT" once it accepts connections.

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Locale;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.RemoteIpValve;

public class Upstream {
    public static void main(String[] args) throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(args[0]);
        Connector connector = new Connector("HTTP/1.1");
        connector.setPort(Integer.parseInt(args[1]));
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        // Behind the gateway (or nginx) on loopback, as servlet
        // applications behind a proxy are set up: the server name is
        // X-Forwarded-Host when the proxy sent one.
        RemoteIpValve remoteIp = new RemoteIpValve();
        remoteIp.setHostHeader("X-Forwarded-Host");
        tomcat.getHost().getPipeline().addValve(remoteIp);

        Context ctx = tomcat.addContext("", null);
        String[][] mappings = {
            {"admin", "/admin/*"}, {"orders", "/orders/*"}, {"public", "/public/*"}, {"root", "/"},
        };
        for (String[] m : mappings) {
            Tomcat.addServlet(ctx, m[0], new Answer(m[0]));
            ctx.addServletMappingDecoded(m[1], m[0]);
        }
        tomcat.start();
        System.out.println("listening " + connector.getLocalPort());
        System.out.flush();
        tomcat.getServer().await();
    }

    /** Answer reports the mapping that ran and what Tomcat made of the request. */
    static final class Answer extends HttpServlet {
        private final String handler;

        Answer(String handler) {
            this.handler = handler;
        }

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String name = handler;
            // A virtual host as DNS names it: letter case and one trailing
            // dot do not change the name (RFC 4343, RFC 1034 section 3.1).
            String host = req.getServerName().toLowerCase(Locale.ROOT);
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1);
            }
            if (host.equals("admin.example.com")) {
                name = "admin-host";
            }
            StringBuilder identity = new StringBuilder();
            for (String h : Collections.list(req.getHeaderNames())) {
                String k = h.toLowerCase(Locale.ROOT);
                if (!k.startsWith("x-auth-")) {
                    continue;
                }
                if (identity.length() > 0) {
                    identity.append(',');
                }
                identity.append(quote(k)).append(':').append(quote(req.getHeader(h)));
            }
            String path = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
            String body = "{\"upstream\":\"tomcat\",\"handler\":" + quote(name)
                    + ",\"method\":" + quote(req.getMethod())
                    + ",\"original_method\":" + quote(req.getMethod())
                    + ",\"path\":" + quote(path)
                    + ",\"url\":" + quote(req.getRequestURI())
                    + ",\"host\":" + quote(req.getServerName())
                    + ",\"identity\":{" + identity + "}}\n";
            resp.setContentType("application/json");
            resp.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
