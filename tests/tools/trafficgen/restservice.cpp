#include "restservice.h"

#include "jsonvalue.h"
#include "sha256.h"

#include <ctime>
#include <random>
#include <thread>
#include <vector>

namespace trafficgen {

namespace {

std::uint64_t fnv1a(std::string_view s)
{
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    // splitmix finaliser: spread the bits so small ids differ everywhere
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    return h ^ (h >> 31);
}

bool parseId(std::string_view s, std::uint64_t &out)
{
    if (s.empty() || s.size() > 9)
        return false;
    out = 0;
    for (const char c : s) {
        if (c < '0' || c > '9')
            return false;
        out = out * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

bool isUuid(std::string_view s)
{
    if (s.size() != 36)
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string imfDate()
{
    // RFC 9110 §5.6.7 IMF-fixdate; the C locale's names are the required English ones.
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::string randomRequestId()
{
    thread_local std::mt19937_64 rng(std::random_device{}()
                                     ^ std::hash<std::thread::id>{}(std::this_thread::get_id()));
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    return buf;
}

const char *const firstNames[]
        = {"Ada", "Grace", "Linus", "Barbara", "Ken", "Radia", "Dennis", "Frances"};
const char *const lastNames[]
        = {"Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Perlman", "Ritchie", "Allen"};
const char *const cities[] = {"Berlin", "Lyon", "Porto", "Gdansk", "Turku", "Graz", "Ghent"};
const char *const tagNames[] = {"beta", "admin", "vip", "newsletter", "mobile", "eu", "trial"};
const char *const products[] = {"widget", "gadget", "sprocket", "gizmo", "doohickey", "bracket"};

std::string lowerAscii(std::string s)
{
    for (char &c : s)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return s;
}

} // namespace

struct RestService::Reply
{
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers; // besides the common and framing
    std::string body;
    bool json = true;
    bool chunked = false;
    std::size_t chunks = 1;
};

RestService::RestService(std::string variant)
    : m_variant(std::move(variant))
    , m_local(m_variant == "local")
{}

RestService::Reply RestService::route(const HttpMessage &req) const
{
    Reply r;
    const auto q = req.target.find('?');
    const std::string path = req.target.substr(0, q);
    const std::string query = q == std::string::npos ? std::string() : req.target.substr(q + 1);
    const std::string &m = req.method;
    auto segment = [&](std::string_view prefix, std::string &rest) {
        if (path.compare(0, prefix.size(), prefix) != 0)
            return false;
        rest = path.substr(prefix.size());
        return rest.find('/') == std::string::npos;
    };
    auto json = [&](const JsonValue &v) {
        r.body = v.serialize(m_local);
    };
    std::string rest;
    std::uint64_t id = 0;

    if (m == "GET" && segment("/users/", rest) && parseId(rest, id)) {
        const std::uint64_t h = fnv1a("user:" + rest);
        const std::string first = firstNames[h % 8];
        const std::string last = lastNames[(h >> 8) % 8];
        // Difference (b): the local build computes the zip code differently (same length).
        std::string zip = std::to_string(10000 + (h >> 16) % 80000);
        if (m_local)
            zip.back() = static_cast<char>('0' + (zip.back() - '0' + 1) % 10);
        JsonValue tags = JsonValue::array();
        for (std::uint64_t i = 0; i < 1 + (h >> 24) % 4; ++i)
            tags.push(tagNames[((h >> 28) + i * 3) % 7]);
        json(JsonValue::object()
                     .add("id", id)
                     .add("name", first + " " + last)
                     .add("email", lowerAscii(first) + "." + lowerAscii(last) + std::to_string(id)
                                           + "@example.test")
                     .add("active", (h >> 40) % 5 != 0)
                     .add("tags", std::move(tags))
                     .add("address",
                          JsonValue::object()
                                  .add("street", std::to_string(1 + id % 997) + " Market Street")
                                  .add("city", cities[(h >> 44) % 7])
                                  .add("zip", zip)
                                  .add("country", "EU"))
                     .add("manager", JsonValue()));
        return r;
    }
    if (m == "GET" && segment("/orders/", rest) && isUuid(rest)) {
        const std::uint64_t h = fnv1a("order:" + rest);
        JsonValue lines = JsonValue::array();
        std::int64_t total = 0;
        for (std::uint64_t i = 0; i < 3 + h % 12; ++i) {
            const std::uint64_t li = fnv1a(rest + std::to_string(i));
            const std::int64_t qty = static_cast<std::int64_t>(1 + li % 5);
            const std::int64_t cents = static_cast<std::int64_t>(199 + (li >> 8) % 9800);
            total += qty * cents;
            lines.push(JsonValue::object()
                               .add("sku", "SKU-" + std::to_string(1000 + (li >> 20) % 9000))
                               .add("product", products[(li >> 32) % 6])
                               .add("qty", qty)
                               .add("unit_cents", cents));
        }
        json(JsonValue::object()
                     .add("id", rest)
                     .add("status", (h >> 8) % 3 == 0 ? "pending" : "shipped")
                     .add("lines", std::move(lines))
                     .add("total_cents", total)
                     .add("shipping", JsonValue::object()
                                              .add("carrier", (h >> 12) % 2 ? "dhl" : "ups")
                                              .add("tracking", std::to_string(h % 1000000007))));
        r.chunked = true;
        r.chunks = 3 + (h >> 16) % 3;
        return r;
    }
    if (m == "POST" && path == "/items") {
        Sha256 digest;
        digest.update(req.body.data(), req.body.size());
        const std::string hex = digest.hexPeek();
        const std::uint64_t newId = 1 + std::stoull(hex.substr(0, 7), nullptr, 16) % 1000000;
        r.status = 201;
        r.headers.emplace_back("Location", "/items/" + std::to_string(newId));
        json(JsonValue::object()
                     .add("id", newId)
                     .add("received_bytes", static_cast<std::uint64_t>(req.body.size()))
                     .add("sha256", hex)
                     .add("created", true));
        return r;
    }
    if (m == "GET" && path == "/catalog") {
        std::uint64_t page = 1;
        if (!query.empty()
            && (query.compare(0, 5, "page=") != 0 || !parseId(query.substr(5), page) || page == 0))
            page = 0;
        if (page > 0) {
            JsonValue items = JsonValue::array();
            for (std::uint64_t i = 0; i < 10; ++i) {
                const std::uint64_t pid = (page - 1) * 10 + i + 1;
                const std::uint64_t h = fnv1a("product:" + std::to_string(pid));
                items.push(JsonValue::object()
                                   .add("id", pid)
                                   .add("name",
                                        std::string(products[h % 6]) + " " + std::to_string(pid))
                                   .add("price_cents", 99 + (h >> 8) % 20000)
                                   .add("in_stock", (h >> 40) % 4 != 0));
            }
            json(JsonValue::object()
                         .add("page", page)
                         .add("page_size", 10)
                         .add("total_pages", 100)
                         .add("items", std::move(items)));
            // Difference (c): the local build forbids caching.
            r.headers.emplace_back("Cache-Control", m_local ? "no-store" : "max-age=60");
            return r;
        }
    }
    if ((m == "GET" || m == "HEAD") && path == "/health") {
        json(JsonValue::object().add("status", "ok").add("checks", 3));
        return r;
    }
    if ((m == "DELETE" || m == "GET") && segment("/items/", rest) && parseId(rest, id)) {
        if (m == "DELETE") {
            r.status = 204;
            r.json = false;
            return r;
        }
        const std::string etag = "\"item-" + rest + "-v1\"";
        r.headers.emplace_back("ETag", etag);
        const std::string *inm = req.header("if-none-match");
        if (inm && (*inm == etag || *inm == "*")) {
            r.status = 304;
            r.json = false;
            return r;
        }
        json(JsonValue::object().add("id", id).add("name", "item " + rest).add("version", 1));
        return r;
    }
    if (m == "GET" && segment("/invoices/", rest) && parseId(rest, id)) {
        const std::uint64_t h = fnv1a("invoice:" + rest);
        if (m_local) {
            // Difference (a): the local build fails on invoices.
            r.status = 500;
            json(JsonValue::object().add("error", JsonValue::object()
                                                          .add("code", "internal")
                                                          .add("message", "invoice renderer failed")
                                                          .add("invoice", id)));
            return r;
        }
        json(JsonValue::object()
                     .add("id", id)
                     .add("number", "INV-2025-" + std::to_string(100000 + id % 900000))
                     .add("amount_cents", 1000 + h % 500000)
                     .add("currency", "EUR")
                     .add("paid", (h >> 20) % 2 == 0)
                     .add("customer",
                          JsonValue::object()
                                  .add("id", 1 + (h >> 24) % 5000)
                                  .add("vat_id", "EU" + std::to_string(h % 999999999))));
        return r;
    }
    r.status = 404;
    json(JsonValue::object().add(
            "error",
            JsonValue::object().add("code", "not_found").add("method", m).add("path", path)));
    return r;
}

std::string RestService::render(const Reply &reply, bool headRequest, bool close) const
{
    static const std::pair<int, const char *> reasons[] = {{200, "OK"},
                                                           {201, "Created"},
                                                           {204, "No Content"},
                                                           {304, "Not Modified"},
                                                           {400, "Bad Request"},
                                                           {404, "Not Found"},
                                                           {500, "Internal Server Error"}};
    const char *reason = "Unknown";
    for (const auto &[code, text] : reasons)
        if (code == reply.status)
            reason = text;
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason
                      + "\r\nDate: " + imfDate() + "\r\nServer: trafficgen-rest/" + m_variant
                      + "\r\nX-Request-Id: " + randomRequestId() + "\r\n";
    if (reply.json)
        out += "Content-Type: application/json\r\n";
    for (const auto &[name, value] : reply.headers)
        out += name + ": " + value + "\r\n";
    const bool noBody = reply.status == 204 || reply.status == 304;
    if (reply.chunked)
        out += "Transfer-Encoding: chunked\r\n";
    else if (!noBody)
        out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    if (close)
        out += "Connection: close\r\n";
    out += "\r\n";
    if (noBody || headRequest)
        return out;
    if (!reply.chunked)
        return out + reply.body;
    // Several chunks of (almost) equal size; sizes depend only on the body length, so both
    // variants frame their (equally long) bodies alike.
    const std::size_t n = std::max<std::size_t>(1, reply.chunks);
    const std::size_t step = (reply.body.size() + n - 1) / n;
    for (std::size_t pos = 0; pos < reply.body.size(); pos += step) {
        const std::size_t len = std::min(step, reply.body.size() - pos);
        char size[32];
        std::snprintf(size, sizeof(size), "%zx\r\n", len);
        out += size;
        out.append(reply.body, pos, len);
        out += "\r\n";
    }
    out += "0\r\n\r\n";
    return out;
}

std::string RestService::respond(const HttpMessage &req, bool &closeAfter) const
{
    closeAfter = req.connectionClose()
                 || (req.version == "HTTP/1.0" && !req.hasToken("connection", "keep-alive"));
    return render(route(req), req.method == "HEAD", closeAfter);
}

std::string RestService::badRequest(const std::string &why) const
{
    Reply r;
    r.status = 400;
    r.body = JsonValue::object()
                     .add("error",
                          JsonValue::object().add("code", "bad_request").add("message", why))
                     .serialize(m_local);
    return render(r, false, true);
}

} // namespace trafficgen
