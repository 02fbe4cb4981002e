#include "requestdiffview.h"

#include "displayformat.h"
#include "http2/grpcstatus.h"
#include "protobufwirehtml.h"
#include "requesttablemodel.h"

#include <QHBoxLayout>
#include <QHash>
#include <QJsonArray>
#include <QLabel>
#include <QPushButton>
#include <QSet>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <cstring>

namespace podtap {

namespace {
QString latency(double us)
{
    return us < 0 ? QStringLiteral("not known") : DisplayFormat::duration(qint64(us * 1000.0));
}

bool isHttp2(const QJsonObject &request)
{
    return request.value(QLatin1String("protocol")).toString() == QLatin1String("h2");
}

// "HTTP/1.x 200", "HTTP/2 200", and for a gRPC call " · grpc-status NOT_FOUND (5)".
QString statusLine(int status, bool http2, bool grpc, int grpcStatus)
{
    if (status <= 0)
        return QStringLiteral("no answer");
    QString line = QStringLiteral("%1 %2")
                           .arg(http2 ? QStringLiteral("HTTP/2") : QStringLiteral("HTTP/1.x"))
                           .arg(status);
    if (grpc)
        line += QStringLiteral(" · grpc-status ")
                + (grpcStatus >= 0 ? GrpcStatus::text(grpcStatus) : QStringLiteral("none"));
    return line;
}

QSet<QString> bodyPaths(const QJsonObject &compare)
{
    QSet<QString> paths;
    for (const QJsonValue p : compare.value(QLatin1String("body")).toArray())
        paths.insert(p.toString());
    return paths;
}

// A gRPC call's messages, this side's: the pod's from the captured call, the local build's
// when the verdict carries them (`localGrpc`, GrpcCall JSON).
QString grpcMessagesHtml(const QJsonObject &call, const QJsonObject &compare, bool withRequests)
{
    const QSet<QString> marked = bodyPaths(compare);
    QString html;
    if (withRequests)
        html += QStringLiteral("<p><b>Request messages</b> (protobuf wire view, no schema):</p>")
                + ProtobufWireHtml::messages(call.value(QLatin1String("requests")).toArray(), {});
    html += QStringLiteral("<p><b>Response messages</b>%1:</p>")
                    .arg(withRequests ? QString() : QStringLiteral(" (protobuf wire view)"))
            + ProtobufWireHtml::messages(call.value(QLatin1String("responses")).toArray(), marked);
    for (const char *side : {"requestsOmitted", "responsesOmitted"}) {
        const qint64 omitted = call.value(QLatin1String(side)).toInteger();
        if (omitted > 0)
            html += QStringLiteral("<p><i>%1 more %2 messages not stored</i></p>")
                            .arg(omitted)
                            .arg(side[2] == 'q' ? QStringLiteral("request")
                                                : QStringLiteral("response"));
    }
    const QString omittedWhy = call.value(QLatin1String("messagesOmitted")).toString();
    if (!omittedWhy.isEmpty())
        html += QStringLiteral("<p><i>Message contents not stored: %1</i></p>")
                        .arg(omittedWhy.toHtmlEscaped());
    const QString error = call.value(QLatin1String("error")).toString();
    if (!error.isEmpty())
        html += QStringLiteral("<p style=\"color:#8e1b12\">%1</p>").arg(error.toHtmlEscaped());
    return html;
}

const QString Marked = QStringLiteral("background:#ffd7d5; color:#8e1b12");

// One side's value of what differed: "side" is "pod" or "local"; missing means absent there.
QString sideValue(const QJsonObject &pair, const char *side)
{
    const QJsonValue v = pair.value(QLatin1String(side));
    return v.isUndefined() ? QStringLiteral("<i>(absent)</i>")
                           : QStringLiteral("<code style=\"%1\">%2</code>")
                                     .arg(Marked, v.toString().toHtmlEscaped());
}

// The headers that differed, with this side's values (older records carry names only).
QString headersHtml(const QJsonObject &compare, const char *side)
{
    const QJsonArray names = compare.value(QLatin1String("headers")).toArray();
    if (names.isEmpty())
        return compare.isEmpty() ? QString()
                                 : QStringLiteral("<p><b>Headers</b>: no compared header "
                                                  "differs</p>");
    const QJsonObject values = compare.value(QLatin1String("headerValues")).toObject();
    QString html = QStringLiteral("<p><b>Headers that differ</b>:</p><ul>");
    for (const QJsonValue n : names) {
        html += QStringLiteral("<li><b>") + n.toString().toHtmlEscaped() + QStringLiteral("</b>");
        if (values.contains(n.toString()))
            html += QStringLiteral(": ") + sideValue(values.value(n.toString()).toObject(), side);
        html += QStringLiteral("</li>");
    }
    return html + QStringLiteral("</ul>");
}

QString bodyHtml(const QJsonObject &compare, const char *side)
{
    const QString verdict = compare.value(QLatin1String("verdict")).toString();
    const QJsonArray paths = compare.value(QLatin1String("body")).toArray();
    const QString excerpt
            = compare.value(QLatin1String(std::strcmp(side, "pod") == 0 ? "podBody" : "localBody"))
                      .toString();
    QString html;
    if (paths.isEmpty()) {
        if (verdict == QLatin1String("same") || verdict == QLatin1String("headers")
            || verdict == QLatin1String("status"))
            html = QStringLiteral("<p><b>Body</b>: no difference found</p>");
    } else {
        // JSON values by path when the record has them, else the paths alone.
        QHash<QString, QJsonObject> byPath;
        for (const QJsonValue v : compare.value(QLatin1String("bodyValues")).toArray())
            byPath.insert(v[QLatin1String("path")].toString(), v.toObject());
        html = QStringLiteral("<p><b>Body differs at</b>:</p><ul>");
        for (const QJsonValue p : paths) {
            html += QStringLiteral("<li><code>") + p.toString().toHtmlEscaped()
                    + QStringLiteral("</code>");
            const QString label = ProtobufWireHtml::pathLabel(p.toString());
            if (label != p.toString())
                html += QStringLiteral(" (") + label.toHtmlEscaped() + QLatin1Char(')');
            if (byPath.contains(p.toString()))
                html += QStringLiteral(" = ") + sideValue(byPath.value(p.toString()), side);
            html += QStringLiteral("</li>");
        }
        html += QStringLiteral("</ul>");
    }
    if (!excerpt.isEmpty())
        html += QStringLiteral("<p><b>Body</b> (start):</p><pre style=\"%1\">%2</pre>")
                        .arg(Marked, excerpt.toHtmlEscaped());
    return html;
}
} // namespace

RequestDiffView::RequestDiffView(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel)
    , m_verdict(new QLabel)
    , m_pod(new QTextBrowser)
    , m_local(new QTextBrowser)
    , m_note(new QLabel)
    , m_follow(new QPushButton(QStringLiteral("Follow stream")))
{
    m_title->setObjectName(QStringLiteral("requestTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    m_verdict->setObjectName(QStringLiteral("requestVerdict"));
    m_verdict->setWordWrap(true);
    m_pod->setObjectName(QStringLiteral("podSide"));
    m_local->setObjectName(QStringLiteral("localSide"));
    m_note->setObjectName(QStringLiteral("diffNote"));
    m_note->setWordWrap(true);
    m_note->setStyleSheet(QStringLiteral("QLabel { color: palette(mid); }"));
    m_follow->setObjectName(QStringLiteral("followStreamButton"));
    m_follow->setToolTip(QStringLiteral("Show the pod side's bytes: this connection's "
                                        "reassembled stream, below"));
    connect(m_follow, &QPushButton::clicked, this, [this] {
        const qint64 id = m_request.value(QLatin1String("id")).toInteger(-1);
        if (id >= 0)
            Q_EMIT followStreamRequested(id);
    });

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_pod);
    split->addWidget(m_local);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_note, 1);
    bottom->addWidget(m_follow);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_verdict);
    layout->addWidget(split, 1);
    layout->addLayout(bottom);
    setRequest({});
}

QString RequestDiffView::verdictSummary(const QJsonObject &request)
{
    const QJsonObject compare = request.value(QLatin1String("compare")).toObject();
    if (compare.isEmpty())
        return QStringLiteral("Not compared: only the pod's answer is known (mirror with compare "
                              "on to compare it with a local service).");
    const QString verdict = compare.value(QLatin1String("verdict")).toString();
    QString text = RequestTableModel::verdictText(verdict);
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    const QString detail = compare.value(QLatin1String("detail")).toString();
    if (!detail.isEmpty())
        text += QStringLiteral(": ") + detail;
    return text;
}

QString RequestDiffView::podHtml(const QJsonObject &request)
{
    const QJsonObject compare = request.value(QLatin1String("compare")).toObject();
    const int status = request.contains(QLatin1String("status"))
                               ? request.value(QLatin1String("status")).toInt()
                               : compare.value(QLatin1String("podStatus")).toInt();
    const double us = request.contains(QLatin1String("latencyUs"))
                              ? request.value(QLatin1String("latencyUs")).toDouble()
                              : compare.value(QLatin1String("podLatencyUs")).toDouble(-1);
    const bool statusDiffers
            = compare.value(QLatin1String("verdict")).toString() == QLatin1String("status");
    const QJsonObject grpc = request.value(QLatin1String("grpc")).toObject();
    const int grpcStatus = grpc.isEmpty() ? compare.value(QLatin1String("podGrpcStatus")).toInt(-1)
                                          : grpc.value(QLatin1String("status")).toInt(-1);
    QString html = QStringLiteral("<h3>Pod (captured)</h3><p><b%1>%2</b></p>")
                           .arg(statusDiffers ? QStringLiteral(" style=\"background:#ffd7d5\"")
                                              : QString(),
                                statusLine(status, isHttp2(request),
                                           !grpc.isEmpty() || grpcStatus >= 0, grpcStatus));
    const QString grpcMessage = grpc.value(QLatin1String("message")).toString();
    if (!grpcMessage.isEmpty())
        html += QStringLiteral("<p>grpc-message: %1</p>").arg(grpcMessage.toHtmlEscaped());
    html += QStringLiteral("<p>Latency: %1</p>").arg(latency(status > 0 ? us : -1));
    if (request.contains(QLatin1String("responseBytes")))
        html += QStringLiteral("<p>Body: %1%2</p>")
                        .arg(DisplayFormat::bytes(
                                     request.value(QLatin1String("responseBytes")).toInteger()),
                             request.contains(QLatin1String("contentType"))
                                     ? QStringLiteral(", ")
                                               + request.value(QLatin1String("contentType"))
                                                         .toString()
                                                         .toHtmlEscaped()
                                     : QString());
    const QString incomplete = request.value(QLatin1String("incomplete")).toString();
    if (!incomplete.isEmpty())
        html += QStringLiteral("<p style=\"color:#8e1b12\">Incomplete %1</p>")
                        .arg(incomplete.toHtmlEscaped());
    html += headersHtml(compare, "pod") + bodyHtml(compare, "pod");
    if (!grpc.isEmpty())
        html += grpcMessagesHtml(grpc, compare, true);
    return html;
}

QString RequestDiffView::localHtml(const QJsonObject &request)
{
    const QJsonObject compare = request.value(QLatin1String("compare")).toObject();
    if (compare.isEmpty())
        return QStringLiteral("<h3>Local</h3><p>Not compared.</p>");
    const QString verdict = compare.value(QLatin1String("verdict")).toString();
    const int status = compare.value(QLatin1String("localStatus")).toInt();
    QString html = QStringLiteral("<h3>Local (mirrored)</h3>");
    if (verdict == QLatin1String("local-error") || verdict == QLatin1String("local-timeout")) {
        html += QStringLiteral("<p><b style=\"color:#b34700\">%1</b></p>")
                        .arg(RequestTableModel::verdictText(verdict));
        const QString detail = compare.value(QLatin1String("detail")).toString();
        if (!detail.isEmpty())
            html += QStringLiteral("<p>%1</p>").arg(detail.toHtmlEscaped());
        if (status <= 0)
            return html;
    }
    const int grpcStatus = compare.value(QLatin1String("localGrpcStatus")).toInt(-1);
    const bool grpc = request.contains(QLatin1String("grpc"))
                      || compare.contains(QLatin1String("localGrpcStatus"));
    html += QStringLiteral("<p><b%1>%2</b></p>")
                    .arg(verdict == QLatin1String("status")
                                 ? QStringLiteral(" style=\"background:#ffd7d5\"")
                                 : QString(),
                         statusLine(status, isHttp2(request), grpc, grpcStatus));
    html += QStringLiteral("<p>Latency: %1</p>")
                    .arg(latency(compare.value(QLatin1String("localLatencyUs")).toDouble(-1)));
    html += headersHtml(compare, "local") + bodyHtml(compare, "local");
    const QJsonObject localCall = compare.value(QLatin1String("localGrpc")).toObject();
    if (!localCall.isEmpty())
        html += grpcMessagesHtml(localCall, compare, false);
    else if (grpc)
        html += QStringLiteral("<p><i>The local build's messages are not stored: the fields "
                               "that differ are listed above with its values.</i></p>");
    return html;
}

void RequestDiffView::setRequest(const QJsonObject &request)
{
    m_request = request;
    if (request.isEmpty()) {
        m_title->setText(QStringLiteral("<b>No request selected</b>"));
        m_verdict->clear();
        m_verdict->setStyleSheet({});
        m_pod->clear();
        m_local->clear();
        m_note->setText(QStringLiteral("Select a request above to see the pod's answer beside "
                                       "the local one."));
        m_follow->setEnabled(false);
        return;
    }
    const qint64 ts = request.value(QLatin1String("tsNs")).toInteger();
    const QJsonObject grpc = request.value(QLatin1String("grpc")).toObject();
    if (!grpc.isEmpty()) {
        m_title->setText(
                QStringLiteral("<b>gRPC %1/%2</b> &nbsp; route %3 · connection %4, "
                               "HTTP/2 stream %5%6")
                        .arg(grpc.value(QLatin1String("service")).toString().toHtmlEscaped(),
                             grpc.value(QLatin1String("method")).toString().toHtmlEscaped(),
                             request.value(QLatin1String("route")).toString().toHtmlEscaped())
                        .arg(request.value(QLatin1String("id")).toInteger())
                        .arg(request.value(QLatin1String("stream")).toInteger())
                        .arg(ts > 0 ? QStringLiteral(" · ") + DisplayFormat::timeOfDay(ts)
                                    : QString()));
    } else {
        m_title->setText(
                QStringLiteral("<b>%1 %2</b> &nbsp; route %3 · connection %4, %5%6")
                        .arg(request.value(QLatin1String("method")).toString().toHtmlEscaped(),
                             request.value(QLatin1String("target")).toString().toHtmlEscaped(),
                             request.value(QLatin1String("route")).toString().toHtmlEscaped())
                        .arg(request.value(QLatin1String("id")).toInteger())
                        .arg(isHttp2(request) ? QStringLiteral("HTTP/2 stream %1")
                                                        .arg(request.value(QLatin1String("stream"))
                                                                     .toInteger())
                                              : QStringLiteral("request %1")
                                                        .arg(request.value(QLatin1String("index"))
                                                                     .toInteger()
                                                             + 1))
                        .arg(ts > 0 ? QStringLiteral(" · ") + DisplayFormat::timeOfDay(ts)
                                    : QString()));
    }
    const QString verdict = request.value(QLatin1String("compare"))
                                    .toObject()
                                    .value(QLatin1String("verdict"))
                                    .toString();
    m_verdict->setText(verdictSummary(request));
    m_verdict->setStyleSheet(
            verdict.isEmpty()
                    ? QString()
                    : QStringLiteral("QLabel { color: white; background: %1; padding: 3px; "
                                     "border-radius: 3px; }")
                              .arg(RequestTableModel::verdictColor(verdict).name()));
    m_pod->setHtml(podHtml(request));
    m_local->setHtml(localHtml(request));
    m_note->setText(QStringLiteral(
            "Shown: what differed (header values, JSON values by path, the start of each body "
            "when they differ otherwise). Follow stream shows all of the pod side's bytes."));
    m_follow->setEnabled(request.value(QLatin1String("id")).toInteger(-1) >= 0);
}

} // namespace podtap
