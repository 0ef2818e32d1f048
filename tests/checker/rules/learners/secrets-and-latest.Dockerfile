# fails: LPI001 LPI002 LPI009 LPI010 LPI012 LPI014
FROM python
ENV OPENAI_API_KEY=sk-proj-0000000000000000 \
    DEBUG=0
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY bot.py .
CMD ["python", "bot.py"]
