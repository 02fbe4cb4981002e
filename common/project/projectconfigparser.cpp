#include "projectconfigparser.h"

#include "retentionpolicy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QRegularExpression>
#include <QSet>

#include <yaml-cpp/yaml.h>

#include <stdexcept>

namespace podtap {

namespace {

// Thrown inside the parser only; turned into a Result at the boundary.
struct ConfigError
{
    YAML::Mark mark;
    QString message;
};

[[noreturn]] void fail(const YAML::Node &n, const QString &message)
{
    throw ConfigError{n.Mark(), message};
}

const QStringList TopKeys{QStringLiteral("version"), QStringLiteral("mirrors"),
                          QStringLiteral("store")};
const QStringList StoreKeys{QStringLiteral("quota"), QStringLiteral("max_age")};
const QStringList MirrorKeys{
        QStringLiteral("description"), QStringLiteral("context"), QStringLiteral("namespace"),
        QStringLiteral("target"),      QStringLiteral("ports"),   QStringLiteral("tap"),
        QStringLiteral("limits"),      QStringLiteral("options"), QStringLiteral("http")};
const QStringList PortKeys{QStringLiteral("remote"), QStringLiteral("local"),
                           QStringLiteral("host")};
const QStringList TapKeys{QStringLiteral("image"), QStringLiteral("profile")};
const QStringList LimitKeys{QStringLiteral("max_megabytes"), QStringLiteral("max_age_seconds"),
                            QStringLiteral("duration_seconds")};
const QStringList OptionKeys{QStringLiteral("join_midstream"), QStringLiteral("all_pods")};
const QStringList HttpKeys{QStringLiteral("methods"), QStringLiteral("path"),
                           QStringLiteral("headers")};
// The tap profiles (common/kube/tapprofile.h; podtap_common does not link podtap_kube).
const QStringList Profiles{QStringLiteral("default"), QStringLiteral("nonroot"),
                           QStringLiteral("baseline")};

QString scalarText(const YAML::Node &n)
{
    return QString::fromStdString(n.Scalar());
}

// Every key of mapping `n` must be one of `allowed`; `where` names it ("mirrors.web").
void checkKeys(const YAML::Node &n, const QString &where, const QStringList &allowed)
{
    if (!n.IsMap())
        fail(n, QStringLiteral("%1 must be a mapping").arg(where));
    QSet<QString> seen;
    for (const auto &kv : n) {
        if (!kv.first.IsScalar())
            fail(kv.first, QStringLiteral("keys in %1 must be plain words").arg(where));
        const QString key = scalarText(kv.first);
        if (!allowed.contains(key)) {
            const QString guess = ProjectConfigParser::closest(key, allowed);
            fail(kv.first,
                 QStringLiteral("unknown key '%1' in %2 (%3)")
                         .arg(key, where,
                              guess.isEmpty() ? QStringLiteral("known: ")
                                                        + allowed.join(QStringLiteral(", "))
                                              : QStringLiteral("did you mean %1?").arg(guess)));
        }
        if (seen.contains(key))
            fail(kv.first, QStringLiteral("duplicate key '%1' in %2").arg(key, where));
        seen.insert(key);
    }
}

QString string(const YAML::Node &n, const QString &what)
{
    if (!n.IsScalar())
        fail(n, QStringLiteral("%1 must be a string").arg(what));
    return scalarText(n);
}

qint64 integer(const YAML::Node &n, const QString &what, qint64 min, qint64 max)
{
    bool ok = n.IsScalar();
    const qint64 v = ok ? scalarText(n).toLongLong(&ok) : 0;
    if (!ok)
        fail(n, QStringLiteral("%1 must be a whole number").arg(what));
    if (v < min || v > max)
        fail(n, QStringLiteral("%1 must be %2-%3 (got %4)").arg(what).arg(min).arg(max).arg(v));
    return v;
}

bool boolean(const YAML::Node &n, const QString &what)
{
    if (n.IsScalar()) {
        const QString s = scalarText(n);
        if (s == QLatin1String("true"))
            return true;
        if (s == QLatin1String("false"))
            return false;
    }
    fail(n, QStringLiteral("%1 must be true or false").arg(what));
}

QString regex(const YAML::Node &n, const QString &what)
{
    QString pattern = string(n, what);
    const QRegularExpression re(pattern);
    if (!re.isValid())
        fail(n, QStringLiteral("%1 is not a valid regular expression: %2 at offset %3 of '%4'")
                        .arg(what, re.errorString())
                        .arg(re.patternErrorOffset())
                        .arg(pattern));
    return pattern;
}

ProjectConfig::PortMapping parsePort(const YAML::Node &n, const QString &where)
{
    checkKeys(n, where, PortKeys);
    ProjectConfig::PortMapping m;
    for (const char *required : {"remote", "local"})
        if (!n[required])
            fail(n, QStringLiteral("%1 needs '%2'").arg(where, QLatin1String(required)));
    m.remote = int(integer(n["remote"], where + QStringLiteral(".remote"), 1, 65535));
    m.local = int(integer(n["local"], where + QStringLiteral(".local"), 1, 65535));
    if (const YAML::Node h = n["host"]) {
        m.host = string(h, where + QStringLiteral(".host"));
        m.hostGiven = true;
        if (QHostAddress(m.host == QLatin1String("localhost") ? QStringLiteral("127.0.0.1")
                                                              : m.host)
                    .isNull())
            fail(h, QStringLiteral("%1.host must be an IP address (got '%2')").arg(where, m.host));
    }
    return m;
}

ProjectConfig::HttpFilter parseHttp(const YAML::Node &n, const QString &where)
{
    checkKeys(n, where, HttpKeys);
    ProjectConfig::HttpFilter f;
    static const QRegularExpression token(QStringLiteral("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"));
    if (const YAML::Node methods = n["methods"]) {
        if (!methods.IsSequence())
            fail(methods,
                 QStringLiteral("%1.methods must be a list (e.g. [GET, POST])").arg(where));
        for (const YAML::Node &m : methods) {
            const QString method = string(m, where + QStringLiteral(".methods[]"));
            if (!token.match(method).hasMatch())
                fail(m, QStringLiteral("'%1' is not an HTTP method").arg(method));
            f.methods << method.toUpper();
        }
    }
    if (const YAML::Node path = n["path"])
        f.path = regex(path, where + QStringLiteral(".path"));
    if (const YAML::Node headers = n["headers"]) {
        if (!headers.IsMap())
            fail(headers, QStringLiteral("%1.headers must map header names to regular "
                                         "expressions")
                                  .arg(where));
        for (const auto &kv : headers) {
            const QString name = string(kv.first, where + QStringLiteral(".headers key"));
            if (!token.match(name).hasMatch())
                fail(kv.first, QStringLiteral("'%1' is not an HTTP header name").arg(name));
            if (f.headers.contains(name))
                fail(kv.first,
                     QStringLiteral("duplicate header '%1' in %2.headers").arg(name, where));
            f.headers.insert(name,
                             regex(kv.second, QStringLiteral("%1.headers.%2").arg(where, name)));
        }
    }
    return f;
}

ProjectConfig::Mirror parseMirror(const YAML::Node &key, const YAML::Node &n)
{
    ProjectConfig::Mirror m;
    m.name = string(key, QStringLiteral("a mirror name"));
    m.line = int(key.Mark().line) + 1;
    if (!ProjectConfigParser::isMirrorName(m.name))
        fail(key, QStringLiteral("mirror name '%1' must be a bare word (letters, digits, '.', "
                                 "'_', '-'), not target syntax")
                          .arg(m.name));
    const QString where = QStringLiteral("mirrors.") + m.name;
    checkKeys(n, where, MirrorKeys);
    if (const YAML::Node v = n["description"])
        m.description = string(v, where + QStringLiteral(".description"));
    if (const YAML::Node v = n["context"])
        m.context = string(v, where + QStringLiteral(".context"));
    if (const YAML::Node v = n["namespace"])
        m.ns = string(v, where + QStringLiteral(".namespace"));
    const YAML::Node target = n["target"];
    if (!target)
        fail(key, QStringLiteral("%1 needs a target (pod, namespace/pod, deployment/NAME, "
                                 "statefulset/NAME, service/NAME)")
                          .arg(where));
    m.target = string(target, where + QStringLiteral(".target")).trimmed();
    if (m.target.isEmpty() || m.target.contains(QLatin1Char(' ')))
        fail(target, QStringLiteral("%1.target must be a target such as deployment/web (got "
                                    "'%2')")
                             .arg(where, m.target));
    const YAML::Node ports = n["ports"];
    if (!ports)
        fail(key, QStringLiteral("%1 needs ports: [{remote: 8080, local: 18080}]").arg(where));
    if (!ports.IsSequence() || ports.size() == 0)
        fail(ports,
             QStringLiteral("%1.ports must be a non-empty list of {remote, local}").arg(where));
    QSet<int> remotes, locals;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        const YAML::Node p = ports[i];
        const auto mapping = parsePort(p, QStringLiteral("%1.ports[%2]").arg(where).arg(i));
        if (remotes.contains(mapping.remote))
            fail(p["remote"], QStringLiteral("remote port %1 is mapped twice in %2")
                                      .arg(mapping.remote)
                                      .arg(where));
        if (locals.contains(mapping.local))
            fail(p["local"],
                 QStringLiteral("local port %1 is used twice in %2").arg(mapping.local).arg(where));
        remotes.insert(mapping.remote);
        locals.insert(mapping.local);
        m.ports << mapping;
    }
    if (const YAML::Node tap = n["tap"]) {
        checkKeys(tap, where + QStringLiteral(".tap"), TapKeys);
        if (const YAML::Node v = tap["image"])
            m.image = string(v, where + QStringLiteral(".tap.image")).trimmed();
        if (const YAML::Node v = tap["profile"]) {
            m.profile = string(v, where + QStringLiteral(".tap.profile"));
            if (!Profiles.contains(m.profile))
                fail(v, QStringLiteral(
                                "unknown tap profile '%1' in %2.tap (default, nonroot or baseline)")
                                .arg(m.profile, where));
        }
    }
    if (const YAML::Node limits = n["limits"]) {
        const QString w = where + QStringLiteral(".limits");
        checkKeys(limits, w, LimitKeys);
        constexpr qint64 Big = qint64(1) << 40;
        if (const YAML::Node v = limits["max_megabytes"])
            m.maxMegabytes = integer(v, w + QStringLiteral(".max_megabytes"), 0, Big);
        if (const YAML::Node v = limits["max_age_seconds"])
            m.maxAgeSeconds = integer(v, w + QStringLiteral(".max_age_seconds"), 0, Big);
        if (const YAML::Node v = limits["duration_seconds"])
            m.durationSeconds = int(integer(v, w + QStringLiteral(".duration_seconds"), 0,
                                            std::numeric_limits<int>::max() / 1000));
    }
    if (const YAML::Node options = n["options"]) {
        const QString w = where + QStringLiteral(".options");
        checkKeys(options, w, OptionKeys);
        if (const YAML::Node v = options["join_midstream"])
            m.joinMidstream = boolean(v, w + QStringLiteral(".join_midstream"));
        if (const YAML::Node v = options["all_pods"])
            m.allPods = boolean(v, w + QStringLiteral(".all_pods"));
    }
    if (const YAML::Node http = n["http"])
        m.http = parseHttp(http, where + QStringLiteral(".http"));
    return m;
}

ProjectConfig parseRoot(const YAML::Node &root)
{
    if (!root || root.IsNull())
        throw ConfigError{YAML::Mark::null_mark(),
                          QStringLiteral("the file is empty: it needs "
                                         "'mirrors:' with at least one mirror")};
    checkKeys(root, QStringLiteral("the top level"), TopKeys);
    if (const YAML::Node v = root["version"])
        integer(v, QStringLiteral("version"), 1, 1);
    const YAML::Node mirrors = root["mirrors"];
    if (!mirrors)
        fail(root, QStringLiteral("'mirrors:' is missing: name at least one mirror"));
    if (!mirrors.IsMap())
        fail(mirrors, QStringLiteral("mirrors must map names to mirrors (mirrors: {web: "
                                     "{target: …, ports: […]}})"));
    ProjectConfig c;
    if (const YAML::Node store = root["store"]) {
        checkKeys(store, QStringLiteral("store"), StoreKeys);
        // Sizes and durations with units (RetentionPolicy); never read as 0 when malformed.
        if (const YAML::Node q = store["quota"]) {
            const auto bytes = RetentionPolicy::parseSize(string(q, QStringLiteral("store.quota")));
            if (!bytes)
                fail(q, QStringLiteral("store.quota: ") + bytes.error());
            c.storeRetention.insert(QStringLiteral("quota"), scalarText(q));
        }
        if (const YAML::Node a = store["max_age"]) {
            const auto secs
                    = RetentionPolicy::parseDuration(string(a, QStringLiteral("store.max_age")));
            if (!secs)
                fail(a, QStringLiteral("store.max_age: ") + secs.error());
            c.storeRetention.insert(QStringLiteral("maxAge"), scalarText(a));
        }
    }
    // yaml-cpp keeps duplicate keys: a second mirror of the same name is an error here.
    QMap<QString, int> lines;
    for (const auto &kv : mirrors) {
        const QString name = kv.first.IsScalar() ? scalarText(kv.first) : QString();
        if (lines.contains(name))
            fail(kv.first, QStringLiteral("mirror '%1' is defined twice (first at line %2)")
                                   .arg(name)
                                   .arg(lines.value(name)));
        ProjectConfig::Mirror m = parseMirror(kv.first, kv.second);
        lines.insert(m.name, m.line);
        c.mirrors << m;
    }
    return c;
}

QString located(const QString &file, const YAML::Mark &mark, const QString &message)
{
    if (mark.is_null())
        return file + QStringLiteral(": ") + message;
    return QStringLiteral("%1:%2:%3: %4")
            .arg(file)
            .arg(mark.line + 1)
            .arg(mark.column + 1)
            .arg(message);
}

} // namespace

Result<ProjectConfig> ProjectConfigParser::parse(const QByteArray &yaml, const QString &file)
{
    using R = Result<ProjectConfig>;
    try {
        ProjectConfig c = parseRoot(YAML::Load(yaml.toStdString()));
        c.file = file;
        return c;
    } catch (const ConfigError &e) {
        return R::failure(located(file, e.mark, e.message));
    } catch (const YAML::Exception &e) {
        return R::failure(located(file, e.mark, QString::fromStdString(e.msg)));
    }
}

Result<ProjectConfig> ProjectConfigParser::load(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Result<ProjectConfig>::failure(
                QStringLiteral("cannot read the project config %1: %2").arg(path, f.errorString()));
    return parse(f.readAll(), path);
}

QString ProjectConfigParser::find(const QString &startDir)
{
    QDir dir(QFileInfo(startDir).absoluteFilePath());
    while (true) {
        QString candidate = dir.filePath(QLatin1String(FileName));
        if (QFileInfo(candidate).isFile())
            return candidate;
        if (!dir.cdUp())
            return {};
    }
}

QStringList ProjectConfigParser::knownKeys()
{
    QStringList keys = TopKeys;
    keys << QStringLiteral("mirrors.*");
    for (const QString &k : StoreKeys)
        keys << QStringLiteral("store.") + k;
    for (const QString &k : MirrorKeys)
        keys << QStringLiteral("mirrors.*.") + k;
    for (const QString &k : PortKeys)
        keys << QStringLiteral("mirrors.*.ports[].") + k;
    for (const QString &k : TapKeys)
        keys << QStringLiteral("mirrors.*.tap.") + k;
    for (const QString &k : LimitKeys)
        keys << QStringLiteral("mirrors.*.limits.") + k;
    for (const QString &k : OptionKeys)
        keys << QStringLiteral("mirrors.*.options.") + k;
    for (const QString &k : HttpKeys)
        keys << QStringLiteral("mirrors.*.http.") + k;
    keys << QStringLiteral("mirrors.*.http.headers.*");
    return keys;
}

bool ProjectConfigParser::isMirrorName(const QString &word)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]*$"));
    return re.match(word).hasMatch();
}

QString ProjectConfigParser::closest(const QString &word, const QStringList &candidates)
{
    auto distance = [](const QString &a, const QString &b) {
        QList<int> prev(b.size() + 1), cur(b.size() + 1);
        for (int j = 0; j <= b.size(); ++j)
            prev[j] = j;
        for (int i = 1; i <= a.size(); ++i) {
            cur[0] = i;
            for (int j = 1; j <= b.size(); ++j)
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                                   prev[j - 1] + (a.at(i - 1) == b.at(j - 1) ? 0 : 1)});
            std::swap(prev, cur);
        }
        return prev[b.size()];
    };
    QString best;
    int bestDistance = 0;
    for (const QString &c : candidates) {
        const int d = distance(word.toLower(), c.toLower());
        if (d <= std::max(2, int(c.size()) / 3) && (best.isEmpty() || d < bestDistance)) {
            best = c;
            bestDistance = d;
        }
    }
    return best;
}

} // namespace podtap
